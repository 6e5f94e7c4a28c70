import { ConsoleDriver, consoleConfig } from '../helpers/console-driver';
import { connectRedis, deleteRedisPrefix, uniqueName } from '../helpers/services';

describe.each([
  ['http', []],
  ['socket', ['--socket']],
])('console mode over %s (npm run dev -- %j)', (transport, args) => {
  const prefix = uniqueName('console');
  let driver: ConsoleDriver;

  beforeAll(async () => {
    const { path } = await consoleConfig(prefix);
    driver = new ConsoleDriver({ config: path, args: ['--no-sandbox', ...args] });
  });

  afterAll(async () => {
    await driver.stop();
    const redis = connectRedis();
    await deleteRedisPrefix(redis, prefix);
    redis.disconnect();
  });

  it('runs a command, shows the approval with buttons, refuses self-approval, runs once approved', async () => {
    let at = await driver.expect(/you are console-user\./);
    if (transport === 'socket') {
      // Slack's routine disconnect, played at the prompt: the bot opens its next connection,
      // then closes the old one itself; the commands below go over the new one.
      driver.type('slack disconnect warning');
      at = await driver.expect(/⇄ Slack sent disconnect \(warning\) on connection 1/, at);
      at = await driver.expect(/⇄ Socket Mode connection 2 open \(2 open\)/, at);
      at = await driver.expect(/⇄ Socket Mode connection 1 closed by the bot \(code 1000\)/, at);
    }
    driver.type('/ops ping --ticks 1 --tick-seconds 0');
    at = await driver.expect(
      /\(only you see this\) ⏳ `ops ping` needs approval by someone other than you/,
      at,
    );
    // Its Approve button's number: the replica watch's alerts (the console's onprem cannot be
    // reached without the sandbox) may have been numbered first.
    const approval =
      /#devops_alert Approval needed: ops ping requested by console-user[\s\S]*?buttons: \[(\d+)\] Approve {2}\[\d+\] Reject/;
    const shown = await driver.expect(approval, at);
    const approve = approval.exec(driver.output.slice(at))![1]!;
    at = shown;

    driver.type(`press ${approve}`);
    at = await driver.expect(
      /\(only you see this\) ⛔ You asked for this one: .*two-person rule/,
      at,
    );

    driver.type('as second-user');
    at = await driver.expect(/now acting as second-user \(U0CONSOLE2\)/, at);
    driver.type(`press ${approve}`);
    at = await driver.expect(
      /#devops_alert ⏳ running — `\/ops ping --ticks 1 --tick-seconds 0`/,
      at,
    );
    at = await driver.expect(
      /ping-[0-9a-f]{10} └ \d\d:\d\d:\d\d ▶ step 1\/3 \*write-scratch-key\* started/,
      at,
    );
    at = await driver.expect(/✎ ping-[0-9a-f]{10} edited: ✅ succeeded in \d+s/, at);

    // Forms: /deploy typed alone opens one; Preview shows the dry run inside it.
    driver.type('/deploy');
    at = await driver.expect(/┌ Deploy {3}\[submit: Deploy\]/, at);
    driver.type('set env staging');
    at = await driver.expect(/✓ env = staging/, at);
    driver.type('preview');
    at = await driver.expect(
      /│ \*Preview\* \(nothing was run\):\n│ 🔍 Dry run of `\/deploy billing staging main`/,
      at,
    );
    // The restore shortcut on a message the console printed (numbered m1, m2, …).
    at = await driver.expect(/\d\d:\d\d:\d\d m1 #/, 0);
    driver.type('shortcut 1');
    at = await driver.expect(
      /┌ Restore a table {3}\[submit: Restore\]\n│ One second before that message: /,
      at,
    );
    driver.type('set table no-dot');
    driver.type('submit');
    at = await driver.expect(/✗ table: <table>: must be <schema>\.<table>/, at);
    driver.type('close');

    driver.type('as nobody');
    await driver.expect(/no user "nobody"; configured: console-user, second-user/, at);
    driver.type('quit');
    expect(await driver.exited()).toBe(0);
  });
});
