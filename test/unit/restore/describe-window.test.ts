import { describeWindow } from '../../../src/restore/restore-preflight';

describe('describeWindow', () => {
  it('gives both ends as Slack date tokens and as UTC ISO text, to the second', () => {
    expect(
      describeWindow({
        retentionDays: 7,
        earliest: new Date('2025-11-14T16:00:00.999Z'),
        latest: new Date('2025-11-21T15:55:00Z'),
      }).text,
    ).toBe(
      '<!date^1763136000^{date_short_pretty} {time_secs}|2025-11-14T16:00:00Z> to ' +
        '<!date^1763740500^{date_short_pretty} {time_secs}|2025-11-21T15:55:00Z> ' +
        '(2025-11-14T16:00:00Z – 2025-11-21T15:55:00Z)',
    );
  });

  it.each([
    [{ retentionDays: 0, earliest: null, latest: null }],
    [{ retentionDays: 7, earliest: null, latest: new Date('2025-11-21T15:55:00Z') }],
    [{ retentionDays: 7, earliest: new Date('2025-11-14T16:00:00Z'), latest: null }],
  ])('says there is no window yet when an end is unknown: %j', (window) => {
    expect(describeWindow(window).text).toBe('no restore window yet');
  });
});
