import {
  bytesBetween,
  compareCoordinates,
  formatCoordinates,
} from '../../../src/mysql/binlog-coordinates';

const LOGS = [
  { name: 'binlog.000009', size: 1000 },
  { name: 'binlog.000010', size: 5000 },
  { name: 'binlog.000011', size: 7000 },
  { name: 'binlog.000012', size: 300 },
];

describe('binlog coordinates', () => {
  it('orders by file sequence, then position', () => {
    const at = (file: string, pos: number) => ({ file, pos });
    expect(compareCoordinates(at('binlog.000010', 9), at('binlog.000010', 10))).toBe(-1);
    expect(compareCoordinates(at('binlog.000010', 10), at('binlog.000010', 10))).toBe(0);
    expect(compareCoordinates(at('binlog.000011', 4), at('binlog.000010', 9999))).toBe(1);
    // numerically, not as text: a sequence past 999999 gets a seventh digit
    expect(compareCoordinates(at('binlog.1000000', 4), at('binlog.999999', 500))).toBe(1);
    expect(formatCoordinates(at('binlog.000010', 10))).toBe('binlog.000010:10');
  });

  it('counts the bytes between two coordinates across files', () => {
    const from = { file: 'binlog.000010', pos: 4000 };
    expect(bytesBetween(LOGS, from, { file: 'binlog.000010', pos: 4500 })).toBe(500);
    expect(bytesBetween(LOGS, from, { file: 'binlog.000012', pos: 200 })).toBe(1000 + 7000 + 200);
    expect(bytesBetween(LOGS, from, from)).toBe(0);
    expect(bytesBetween(LOGS, { file: 'binlog.000012', pos: 4 }, from)).toBe(0);
  });

  it('does not know the distance when a file in between is gone', () => {
    expect(
      bytesBetween(LOGS, { file: 'binlog.000003', pos: 4 }, { file: 'binlog.000012', pos: 4 }),
    ).toBeNull();
  });
});
