import { computeMargin, type SourceBinlogs } from '../../../src/replicas/replica-margin';
import { MYSQL_8_4 } from '../../fixtures/mysql/documented-output';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);

/** The MySQL 8.4 manual's SHOW BINARY LOGS example, as the source's list. */
const MYSQL_8_4_LOGS = MYSQL_8_4.binaryLogs.map((row) => ({
  name: String(row.Log_name),
  size: Number(row.File_size),
}));

function source(overrides: Partial<SourceBinlogs> = {}): SourceBinlogs {
  return {
    retentionHours: 24,
    retentionKnown: true,
    binlogs: MYSQL_8_4_LOGS,
    closedAt: { 'binlog.000015': { at: NOW - 21 * HOUR, exact: true } },
    ...overrides,
  };
}

describe('computeMargin', () => {
  it('a closed file the replica needs: retention minus the time since it was closed', () => {
    const margin = computeMargin('binlog.000015', source(), NOW);
    expect(margin).toMatchObject({ seconds: 3 * 3600, neededFile: 'binlog.000015', atMost: false });
    expect(margin.basis).toContain('retention 24 h');
  });

  it('past its purge time: no margin left, never negative', () => {
    expect(computeMargin('binlog.000015', source({ retentionHours: 20 }), NOW).seconds).toBe(0);
  });

  it("the source's current file: the whole retention is ahead", () => {
    expect(computeMargin('binlog.000016', source(), NOW)).toMatchObject({ seconds: 24 * 3600 });
  });

  it('a file closed before the first check: an upper bound', () => {
    const margin = computeMargin(
      'binlog.000015',
      source({ closedAt: { 'binlog.000015': { at: NOW - HOUR, exact: false } } }),
      NOW,
    );
    expect(margin).toMatchObject({ seconds: 23 * 3600, atMost: true });
    expect(margin.basis).toContain('at or before');
  });

  it('retention NULL: none, whichever file', () => {
    expect(computeMargin('binlog.000016', source({ retentionHours: null }), NOW)).toMatchObject({
      seconds: 0,
      basis: expect.stringContaining('NULL'),
    });
  });

  it('a file the source no longer lists: none', () => {
    expect(computeMargin('binlog.000003', source(), NOW)).toMatchObject({
      seconds: 0,
      basis: 'the source no longer has binlog.000003',
    });
  });

  it('unknown when the source is not RDS or the replica has no coordinates', () => {
    expect(computeMargin('binlog.000015', source({ retentionKnown: false }), NOW).seconds).toBe(
      null,
    );
    expect(computeMargin(null, source(), NOW).seconds).toBe(null);
  });
});
