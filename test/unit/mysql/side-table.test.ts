import { ErrorCode } from '../../../src/errors';
import {
  deferSecondaryIndexes,
  sideTableDefinition,
  sideTableName,
  sideTableStamp,
} from '../../../src/mysql/side-table';
import { checkIdentifier, qualifiedTable } from '../../../src/mysql/sql-identifier';

describe('side table', () => {
  it('is named <table>__restored_<stamp>, within 64 characters', () => {
    const stamp = sideTableStamp(new Date('2025-11-21T16:00:00.123Z'));
    expect(stamp).toBe('20251121t160000');
    expect(sideTableName('invoices', stamp)).toBe('invoices__restored_20251121t160000');
    expect(() => sideTableName('x'.repeat(50), stamp)).toThrow(
      expect.objectContaining({ code: ErrorCode.MysqlIdentifierInvalid }),
    );
    expect(() => sideTableName('invoices', 'a;b')).toThrow(
      expect.objectContaining({ code: ErrorCode.MysqlIdentifierInvalid }),
    );
  });

  it('drops foreign keys and CHECK constraint names, keeps everything else', () => {
    const original = [
      'CREATE TABLE `orders` (',
      '  `id` int(11) NOT NULL,',
      '  `customer_id` int(11) NOT NULL,',
      '  PRIMARY KEY (`id`),',
      '  KEY `customer_id` (`customer_id`),',
      '  CONSTRAINT `orders_ibfk_1` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`),',
      '  CONSTRAINT `positive` CHECK (`id` > 0)',
      ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
    ].join('\n');
    expect(sideTableDefinition(original, 'shop', 'orders__restored_1')).toBe(
      [
        'CREATE TABLE `shop`.`orders__restored_1` (',
        '  `id` int(11) NOT NULL,',
        '  `customer_id` int(11) NOT NULL,',
        '  PRIMARY KEY (`id`),',
        '  KEY `customer_id` (`customer_id`),',
        '  CHECK (`id` > 0)',
        ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
      ].join('\n'),
    );
    expect(() => sideTableDefinition('CREATE VIEW `v` AS SELECT 1', 'shop', 'v2')).toThrow(
      expect.objectContaining({ code: ErrorCode.MysqlTableDefinitionUnexpected }),
    );
  });
});

describe('deferred secondary indexes', () => {
  const definition = [
    'CREATE TABLE `shop`.`tags__restored_1` (',
    '  `a` int(11) NOT NULL,',
    '  `b` varchar(20) NOT NULL,',
    '  `seq` int(11) NOT NULL AUTO_INCREMENT,',
    "  `title` varchar(100) DEFAULT NULL COMMENT 'KEY `x` (`y`)',",
    '  `code` varchar(10) NOT NULL,',
    '  `g` point NOT NULL,',
    '  PRIMARY KEY (`a`,`b`),',
    '  UNIQUE KEY `code` (`code`),',
    '  UNIQUE KEY `title_u` (`title`) USING BTREE,',
    '  KEY `seq` (`seq`),',
    '  KEY `b``a` (`b`,`a`),',
    '  SPATIAL KEY `g` (`g`),',
    '  FULLTEXT KEY `ft` (`title`),',
    '  CHECK (`a` > 0)',
    ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
  ].join('\n');

  it('leaves out plain and unique B-tree keys but the copy key and the AUTO_INCREMENT one', () => {
    const { createTable, deferred } = deferSecondaryIndexes(definition, {
      key: 'code',
      autoIncrementColumn: 'seq',
    });
    expect(deferred).toEqual([
      { name: '`title_u`', clause: 'UNIQUE KEY `title_u` (`title`) USING BTREE' },
      { name: '`b``a`', clause: 'KEY `b``a` (`b`,`a`)' },
    ]);
    expect(createTable).toBe(
      [
        'CREATE TABLE `shop`.`tags__restored_1` (',
        '  `a` int(11) NOT NULL,',
        '  `b` varchar(20) NOT NULL,',
        '  `seq` int(11) NOT NULL AUTO_INCREMENT,',
        "  `title` varchar(100) DEFAULT NULL COMMENT 'KEY `x` (`y`)',",
        '  `code` varchar(10) NOT NULL,',
        '  `g` point NOT NULL,',
        '  PRIMARY KEY (`a`,`b`),',
        '  UNIQUE KEY `code` (`code`),',
        '  KEY `seq` (`seq`),',
        '  SPATIAL KEY `g` (`g`),',
        '  FULLTEXT KEY `ft` (`title`),',
        '  CHECK (`a` > 0)',
        ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
      ].join('\n'),
    );
  });

  it('defers nothing from a table with only a primary key', () => {
    const onlyKey =
      'CREATE TABLE `d`.`t` (\n  `id` int NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB';
    expect(deferSecondaryIndexes(onlyKey, { key: 'PRIMARY', autoIncrementColumn: null })).toEqual({
      createTable: onlyKey,
      deferred: [],
    });
  });
});

describe('SQL identifiers', () => {
  it.each(['a;DROP', 'a`b', '`', 'a b', 'a.b', '', 'x'.repeat(65), "a'", 'é'])(
    'refuses %j',
    (name) => {
      expect(() => checkIdentifier(name)).toThrow(
        expect.objectContaining({ code: ErrorCode.MysqlIdentifierInvalid }),
      );
    },
  );

  it('backquotes safe names', () => {
    expect(qualifiedTable('db_1', 'T$x')).toBe('`db_1`.`T$x`');
  });
});
