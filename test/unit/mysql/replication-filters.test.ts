import type { Queryable } from '../../../src/mysql/queryable';
import {
  describeFilters,
  hasFilters,
  readReplicationFilters,
  replicatesDatabase,
  replicatesTable,
  setWildIgnoreTables,
} from '../../../src/mysql/replication-filters';
import { parseServerFlavor } from '../../../src/mysql/server-flavor';
import { replicationFilters } from '../../fixtures/mysql/replication-filters';

const none = replicationFilters();
const filters = replicationFilters;
const MYSQL = parseServerFlavor('8.0.36');

describe('replication filters', () => {
  it('a replica without filters applies every change', () => {
    expect(replicatesTable(none, 'mysql', 'rds_heartbeat2')).toBe(true);
    expect(replicatesDatabase(none, 'shop')).toBe(true);
    expect(hasFilters(none)).toBe(false);
    expect(describeFilters(none)).toBe('none');
  });

  it('database rules come first: do-db keeps only its databases, ignore-db drops its own', () => {
    const doDb = filters({ doDb: ['shop'], wildDoTable: ['mysql.%'] });
    expect(replicatesTable(doDb, 'shop', 'orders')).toBe(false); // a do rule, none names it
    expect(replicatesTable(doDb, 'mysql', 'user')).toBe(false); // mysql is not a do-db
    expect(replicatesDatabase(doDb, 'billing')).toBe(false);
    const ignoreDb = filters({ ignoreDb: ['mysql'] });
    expect(replicatesTable(ignoreDb, 'mysql', 'rds_history')).toBe(false);
    expect(replicatesTable(ignoreDb, 'shop', 'orders')).toBe(true);
  });

  it('table rules in MySQL order: do-table, ignore-table, wild-do, wild-ignore, then any do rule skips the rest', () => {
    const rules = filters({
      doTable: ['shop.orders'],
      ignoreTable: ['shop.tmp'],
      wildDoTable: ['shop.pay%'],
      wildIgnoreTable: ['shop.%'],
    });
    expect(replicatesTable(rules, 'shop', 'orders')).toBe(true);
    expect(replicatesTable(rules, 'shop', 'tmp')).toBe(false);
    expect(replicatesTable(rules, 'shop', 'payments')).toBe(true);
    expect(replicatesTable(rules, 'shop', 'customers')).toBe(false);
    expect(replicatesTable(rules, 'crm', 'leads')).toBe(false); // do rules exist, none matches
    const ignoreOnly = filters({ ignoreTable: ['shop.tmp'] });
    expect(replicatesTable(ignoreOnly, 'crm', 'leads')).toBe(true);
  });

  it('wild rules are LIKE patterns on both parts, with \\ escaping _ and %', () => {
    const escaped = filters({ wildIgnoreTable: ['mysql.rds\\_%'] });
    expect(replicatesTable(escaped, 'mysql', 'rds_heartbeat2')).toBe(false);
    expect(replicatesTable(escaped, 'mysql', 'rdsXheartbeat')).toBe(true); // _ is literal here
    expect(replicatesTable(escaped, 'mysqlx', 'rds_history')).toBe(true);
    const loose = filters({ wildIgnoreTable: ['my_ql.rds%'] });
    expect(replicatesTable(loose, 'mysql', 'rds_history')).toBe(false);
    expect(replicatesTable(loose, 'mysql', 'user')).toBe(true);
    // Regular-expression characters in names are plain characters.
    expect(replicatesTable(filters({ wildIgnoreTable: ['a.b+c'] }), 'a', 'bbc')).toBe(true);
    expect(replicatesTable(filters({ wildIgnoreTable: ['a.b+c'] }), 'a', 'b+c')).toBe(false);
    // A rule without a dot matches nothing (the server refuses one anyway).
    expect(replicatesTable(filters({ wildIgnoreTable: ['mysql'] }), 'mysql', 'user')).toBe(true);
  });

  it('describes every kind with its option name', () => {
    const rules = filters({
      doDb: ['a', 'b'],
      wildIgnoreTable: ['mysql.rds\\_%'],
      rewriteDb: ['x->y'],
    });
    expect(hasFilters(rules)).toBe(true);
    expect(describeFilters(rules)).toBe(
      'replicate-do-db=a,b; replicate-wild-ignore-table=mysql.rds\\_%; replicate-rewrite-db=x->y',
    );
  });

  it("reads MySQL's filters from performance_schema, one row per kind", async () => {
    const query = jest.fn().mockResolvedValue([
      [
        { name: 'REPLICATE_DO_DB', rule: 'shop,crm' },
        { name: 'REPLICATE_WILD_IGNORE_TABLE', rule: 'mysql.rds\\_%' },
        { name: 'REPLICATE_IGNORE_TABLE', rule: '' },
      ],
    ]);
    const read = await readReplicationFilters({ query } as unknown as Queryable, MYSQL);
    expect(read).toEqual(filters({ doDb: ['shop', 'crm'], wildIgnoreTable: ['mysql.rds\\_%'] }));
    expect(query.mock.calls[0]![0]).toContain(
      'performance_schema.replication_applier_global_filters',
    );
  });

  it('sets MySQL wild-ignore rules with CHANGE REPLICATION FILTER, each rule a value', async () => {
    const query = jest.fn().mockResolvedValue([[]]);
    await setWildIgnoreTables({ query } as unknown as Queryable, MYSQL, ['old.%', 'mysql.rds\\_%']);
    expect(query).toHaveBeenCalledWith(
      'CHANGE REPLICATION FILTER REPLICATE_WILD_IGNORE_TABLE = (?, ?)',
      ['old.%', 'mysql.rds\\_%'],
    );
  });

  it('a refused change becomes a coded error with the server text', async () => {
    const refused = Object.assign(
      new Error('This operation cannot be performed with a running slave sql thread'),
      {
        errno: 1198,
        sqlMessage: 'This operation cannot be performed with a running slave sql thread',
      },
    );
    const query = jest.fn().mockRejectedValue(refused);
    await expect(
      setWildIgnoreTables({ query } as unknown as Queryable, MYSQL, ['mysql.rds\\_%']),
    ).rejects.toMatchObject({
      code: 'OPSDECK_REPLICATION_STATEMENT_FAILED',
      message: expect.stringContaining('running slave sql thread (errno 1198)'),
    });
  });
});
