import { replicationFilters } from '../../fixtures/mysql/replication-filters';
import {
  filtersProblem,
  RDS_TABLES_RULE,
  skipsRdsTables,
} from '../../../src/seed/replica-filter-checks';

const none = replicationFilters();
const filters = replicationFilters;

describe("a replica's filters before a seed from RDS", () => {
  it("RDS's own tables are skipped by the rule opsdeck adds, by ignoring mysql, or by a do-db list", () => {
    expect(skipsRdsTables(none)).toBe(false);
    expect(skipsRdsTables(filters({ wildIgnoreTable: [RDS_TABLES_RULE] }))).toBe(true);
    expect(skipsRdsTables(filters({ wildIgnoreTable: ['mysql.%'] }))).toBe(true);
    expect(skipsRdsTables(filters({ ignoreDb: ['mysql'] }))).toBe(true);
    expect(skipsRdsTables(filters({ doDb: ['billing'] }))).toBe(true);
    // Only the heartbeat ignored: rds_configuration still comes through.
    expect(skipsRdsTables(filters({ ignoreTable: ['mysql.rds_heartbeat2'] }))).toBe(false);
    expect(RDS_TABLES_RULE).toBe('mysql.rds\\_%');
  });

  it('seeding every database into a replica without filters is fine', () => {
    expect(filtersProblem(none, ['billing', 'shop'], ['billing', 'shop'])).toBeNull();
  });

  it('seeding some databases needs do-db (or ignore-db) for the rest', () => {
    expect(filtersProblem(none, ['shop'], ['billing', 'shop'])).toMatch(
      /^the replica would apply the source's changes to billing too.*replicate-do-db=shop on the replica first\.$/,
    );
    expect(filtersProblem(filters({ doDb: ['shop'] }), ['shop'], ['billing', 'shop'])).toBeNull();
    expect(
      filtersProblem(filters({ ignoreDb: ['billing'] }), ['shop'], ['billing', 'shop']),
    ).toBeNull();
  });

  it('a seeded database the filters skip would never get its changes', () => {
    expect(
      filtersProblem(filters({ doDb: ['shop'] }), ['billing', 'shop'], ['billing', 'shop']),
    ).toBe(
      "the replica's filters (replicate-do-db=shop) skip billing: seeded, it would never get its changes. Fix the filters or seed other databases.",
    );
  });

  it('the advice names only databases the source has', () => {
    expect(filtersProblem(none, ['shop', 'nosuch'], ['billing', 'shop'])).toContain(
      'replicate-do-db=shop on',
    );
  });
});
