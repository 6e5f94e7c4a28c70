import fc from 'fast-check';
import {
  keyComparison,
  rangesFromBoundaries,
  splitIntegerRange,
  type KeyRange,
} from '../../../src/mysql/key-ranges';
import type { TableColumn } from '../../../src/mysql/table-shape';

const column = (name: string, integer = true): TableColumn => ({
  name,
  dataType: integer ? 'int' : 'varchar',
  generated: false,
  binary: false,
  integer,
  autoIncrement: false,
});

function contains(range: KeyRange, key: bigint): boolean {
  const after = range.after === null ? null : BigInt(range.after[0] as string);
  const upTo = range.upTo === null ? null : BigInt(range.upTo[0] as string);
  return (after === null || key > after) && (upTo === null || key <= upTo);
}

describe('key ranges', () => {
  it('cover every integer key exactly once, in at most the asked number of ranges', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.bigInt({ min: 0n, max: 10n ** 6n }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 6n }), { maxLength: 30 }),
        (min, width, count, offsets) => {
          const max = min + width;
          const ranges = rangesFromBoundaries(
            splitIntegerRange(min, max, count).map((b) => [b.toString()]),
          );
          expect(ranges.length).toBeLessThanOrEqual(count);
          expect(ranges.map((r) => r.index)).toEqual(ranges.map((_, i) => i));
          for (const key of [min, max, min - 1n, max + 1n, ...offsets.map((o) => min + o)])
            expect(ranges.filter((range) => contains(range, key))).toHaveLength(1);
        },
      ),
    );
  });

  it('splits evenly', () => {
    expect(splitIntegerRange(1n, 100n, 4)).toEqual([25n, 50n, 75n]);
    expect(splitIntegerRange(5n, 5n, 4)).toEqual([]);
  });

  it('spells composite comparisons as ORs of equal prefixes with integer keys as BigInt', () => {
    expect(keyComparison([column('a'), column('b', false)], '>', ['7', 'x'])).toEqual({
      sql: '((`a` > ?) OR (`a` = ? AND `b` > ?))',
      params: [7n, 7n, 'x'],
    });
    expect(keyComparison([column('a')], '<=', ['7'])).toEqual({
      sql: '((`a` < ?) OR (`a` = ?))',
      params: [7n, 7n],
    });
  });
});
