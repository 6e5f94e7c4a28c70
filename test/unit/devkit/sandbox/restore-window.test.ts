import {
  isWithin,
  replayStopFor,
  restoreWindow,
} from '../../../../devkit/sandbox/rds/restore-window';

describe('point-in-time restore window and semantics', () => {
  const created = new Date('2026-01-01T10:00:00.400Z');
  const now = new Date('2026-01-01T12:00:00.700Z');

  it('spans creation to now minus the lag, in whole seconds; none without backups', () => {
    expect(restoreWindow(created, 7, now, 5000)).toEqual({
      earliest: created,
      latest: new Date('2026-01-01T11:59:55.000Z'),
    });
    expect(restoreWindow(created, 0, now, 5000)).toBeNull();
    const days = restoreWindow(created, 1, new Date('2026-01-05T00:00:00Z'), 0)!;
    expect(days.earliest).toEqual(new Date('2026-01-04T00:00:00Z'));
  });

  it('accepts the creation second itself and nothing after latest', () => {
    const window = restoreWindow(created, 7, now, 5000)!;
    expect(isWithin(window, new Date('2026-01-01T10:00:00.000Z'))).toBe(true);
    expect(isWithin(window, new Date('2026-01-01T09:59:59.999Z'))).toBe(false);
    expect(isWithin(window, new Date('2026-01-01T11:59:55.001Z'))).toBe(false);
  });

  it('replays through the end of the restore time’s second', () => {
    expect(replayStopFor(new Date('2026-01-01T11:00:00.000Z'))).toEqual(
      new Date('2026-01-01T11:00:01.000Z'),
    );
    expect(replayStopFor(new Date('2026-01-01T11:00:00.999Z'))).toEqual(
      new Date('2026-01-01T11:00:01.000Z'),
    );
  });
});
