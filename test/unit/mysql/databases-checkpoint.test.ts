import { ErrorCode } from '../../../src/errors';
import {
  checkResume,
  loadRanges,
  newCheckpoint,
  storeBoundaries,
  type DatabasesCheckpoint,
} from '../../../src/mysql/databases-checkpoint';
import { rangesFromBoundaries } from '../../../src/mysql/key-ranges';

describe('database copy checkpoint', () => {
  it('stores a plan as JSON and gets the same ranges back, binary keys included', () => {
    const ranges = rangesFromBoundaries([
      ['10', Buffer.from([0, 255, 10])],
      ['20', null],
      ['30', Buffer.alloc(0)],
    ]);
    const stored = JSON.parse(JSON.stringify(storeBoundaries(ranges))) as ReturnType<
      typeof storeBoundaries
    >;
    expect(stored[0]).toEqual(['10', { hex: '00ff0a' }]);
    expect(loadRanges(stored)).toEqual(ranges);
    expect(loadRanges(storeBoundaries(rangesFromBoundaries([])))).toEqual([
      { index: 0, after: null, upTo: null },
    ]);
  });

  it('resumes only a checkpoint of the same databases from the same source', () => {
    const tables = new Set(['shop.items', 'crm.customers']);
    const checkpoint: DatabasesCheckpoint = {
      ...newCheckpoint(['shop', 'crm']),
      prepared: true,
      tablesCreated: true,
      tables: {
        'shop.items': { state: 'copying', rows: 10, boundaries: [['5']], doneRanges: [0] },
      },
    };
    const copy = checkResume(checkpoint, ['crm', 'shop'], tables);
    expect(copy).toEqual(checkpoint);
    expect(copy).not.toBe(checkpoint);

    const refused = (c: unknown, databases = ['shop', 'crm']) =>
      expect(() => checkResume(c as DatabasesCheckpoint, databases, tables)).toThrow(
        expect.objectContaining({ code: ErrorCode.MysqlResumeMismatch }),
      );
    refused(checkpoint, ['shop']);
    refused({ ...checkpoint, version: 2 });
    refused(undefined);
    refused({ ...checkpoint, tables: { 'shop.gone': { state: 'indexed', rows: 1 } } });
    refused({ ...checkpoint, tables: { 'shop.items': { state: 'copying', rows: 1 } } });
    refused({ ...checkpoint, objects: ['tables'] });
  });
});
