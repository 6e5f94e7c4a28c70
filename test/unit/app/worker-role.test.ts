import { UsageError } from '../../../src/errors';
import { roleArgument, runsFeeds, runsRunbooks } from '../../../src/app/worker-role';

describe('worker role argument', () => {
  it('reads --role in both spellings; none means the default split', () => {
    expect(roleArgument([])).toBeUndefined();
    expect(roleArgument(['--role', 'feeds'])).toBe('feeds');
    expect(roleArgument(['--role=runbooks'])).toBe('runbooks');
    expect(roleArgument(['--role', 'all'])).toBe('all');
  });

  it('refuses an unknown role, a missing one and anything else, with the usage', () => {
    for (const argv of [
      ['--role', 'feed'],
      ['--role'],
      ['--role='],
      ['feeds'],
      ['--role', 'all', 'x'],
    ]) {
      const run = () => roleArgument(argv);
      expect(run).toThrow(UsageError);
      expect(run).toThrow(
        expect.objectContaining({ usage: 'usage: opsdeck worker [--role runbooks|feeds|all]' }),
      );
    }
    expect(() => roleArgument(['--role', 'feed'])).toThrow(
      '--role must be one of runbooks, feeds, all, got "feed"',
    );
  });

  it('gives each role its parts', () => {
    expect([runsRunbooks('runbooks'), runsFeeds('runbooks')]).toEqual([true, false]);
    expect([runsRunbooks('feeds'), runsFeeds('feeds')]).toEqual([false, true]);
    expect([runsRunbooks('all'), runsFeeds('all')]).toEqual([true, true]);
  });
});
