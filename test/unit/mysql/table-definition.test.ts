import { ErrorCode } from '../../../src/errors';
import {
  baseTableDefinition,
  comparableDefinition,
  deferSecondaryIndexes,
  splitCreateTable,
} from '../../../src/mysql/table-definition';

const ORDERS = [
  'CREATE TABLE `orders` (',
  '  `id` int(11) NOT NULL AUTO_INCREMENT,',
  '  `customer_id` int(11) NOT NULL,',
  "  `note` varchar(20) DEFAULT 'a,\\nb)',",
  '  `placed` date NOT NULL,',
  '  PRIMARY KEY (`id`,`placed`),',
  '  UNIQUE KEY `note_u` (`note`),',
  '  KEY `customer_id` (`customer_id`),',
  '  CONSTRAINT `orders_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE,',
  '  CONSTRAINT `orders_other` FOREIGN KEY (`note`) REFERENCES `other_db`.`notes` (`note`),',
  '  CONSTRAINT `positive` CHECK (`id` > 0)',
  ') ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci',
  ' PARTITION BY RANGE (year(`placed`))',
  '(PARTITION `p2024` VALUES LESS THAN (2025) ENGINE = InnoDB,',
  ' PARTITION `pmax` VALUES LESS THAN MAXVALUE ENGINE = InnoDB)',
].join('\n');

describe('table definitions for a database copy', () => {
  it('splits SHOW CREATE TABLE into header, body elements and the tail with its partitions', () => {
    const parts = splitCreateTable(ORDERS);
    expect(parts.header).toBe('CREATE TABLE `orders` (');
    expect(parts.body).toHaveLength(10);
    expect(parts.body[2]).toBe("  `note` varchar(20) DEFAULT 'a,\\nb)'");
    expect(parts.tail[0]).toMatch(/^\) ENGINE=InnoDB/);
    expect(parts.tail).toHaveLength(4);
    for (const text of ['CREATE VIEW `v` AS SELECT 1', 'CREATE TABLE `t` (\n) ENGINE=InnoDB', ''])
      expect(() => splitCreateTable(text)).toThrow(
        expect.objectContaining({ code: ErrorCode.MysqlTableDefinitionUnexpected }),
      );
  });

  it('creates the table qualified, with CHECK names and partitions, without foreign keys and deferred indexes', () => {
    const definition = baseTableDefinition(ORDERS, 'shop', 'orders', {
      key: 'PRIMARY',
      autoIncrementColumn: 'id',
    });
    expect(definition.createTable).toBe(
      [
        'CREATE TABLE `shop`.`orders` (',
        '  `id` int(11) NOT NULL AUTO_INCREMENT,',
        '  `customer_id` int(11) NOT NULL,',
        "  `note` varchar(20) DEFAULT 'a,\\nb)',",
        '  `placed` date NOT NULL,',
        '  PRIMARY KEY (`id`,`placed`),',
        '  CONSTRAINT `positive` CHECK (`id` > 0)',
        ') ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci',
        ' PARTITION BY RANGE (year(`placed`))',
        '(PARTITION `p2024` VALUES LESS THAN (2025) ENGINE = InnoDB,',
        ' PARTITION `pmax` VALUES LESS THAN MAXVALUE ENGINE = InnoDB)',
      ].join('\n'),
    );
    expect(definition.deferred.map((index) => index.name)).toEqual(['`note_u`', '`customer_id`']);
    expect(definition.foreignKeys).toEqual([
      {
        name: '`orders_customer`',
        clause:
          'CONSTRAINT `orders_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE',
      },
      {
        name: '`orders_other`',
        clause:
          'CONSTRAINT `orders_other` FOREIGN KEY (`note`) REFERENCES `other_db`.`notes` (`note`)',
      },
    ]);
  });

  it('refuses a definition of another table', () => {
    expect(() =>
      baseTableDefinition(ORDERS, 'shop', 'invoices', { key: null, autoIncrementColumn: null }),
    ).toThrow(expect.objectContaining({ code: ErrorCode.MysqlTableDefinitionUnexpected }));
  });

  it('keeps a partitioned table’s clauses when deferring indexes', () => {
    const { createTable } = deferSecondaryIndexes(ORDERS, { key: null, autoIncrementColumn: 'id' });
    expect(createTable.split('\n').slice(-3)).toEqual(ORDERS.split('\n').slice(-3));
  });

  it('compares definitions with keys as a set, columns in order, no AUTO_INCREMENT counter', () => {
    const lines = ORDERS.split('\n');
    const reordered = [
      ...lines.slice(0, 5),
      lines[7],
      lines[6],
      lines[5],
      lines[10]!.replace(/$/, ','),
      lines[9],
      lines[8]!.replace(/,$/, ''),
      lines[11]!.replace('AUTO_INCREMENT=42', 'AUTO_INCREMENT=43'),
      ...lines.slice(12),
    ].join('\n');
    expect(comparableDefinition(reordered)).toBe(comparableDefinition(ORDERS));
    const swappedColumns = [lines[0], lines[2], lines[1], ...lines.slice(3)].join('\n');
    expect(comparableDefinition(swappedColumns)).not.toBe(comparableDefinition(ORDERS));
    const otherPartitions = ORDERS.replace('LESS THAN (2025)', 'LESS THAN (2026)');
    expect(comparableDefinition(otherPartitions)).not.toBe(comparableDefinition(ORDERS));
  });
});
