import { ConsoleDriver, consoleConfig } from '../helpers/console-driver';
import { connectRedis, deleteRedisPrefix, uniqueName } from '../helpers/services';

/**
 * The console's `home` (npm run dev): a signed app_home_opened through the bot's real receiver,
 * the Home tab printed as the bot published it, its buttons pressable with `press <n>`.
 */
describe('console mode: the Home tab', () => {
  const prefix = uniqueName('console');
  let driver: ConsoleDriver;

  beforeAll(async () => {
    const { path } = await consoleConfig(prefix);
    driver = new ConsoleDriver({ config: path, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await driver.stop();
    const redis = connectRedis();
    await deleteRedisPrefix(redis, prefix);
    redis.disconnect();
  });

  it('shows the approval waiting for second-user in their Home; Approve pressed there queues the job', async () => {
    let at = await driver.expect(/you are console-user\./);
    driver.type('home');
    at = await driver.expect(
      /⌂ Home tab of console-user[\s\S]*?Nothing waits for your approval\./,
      at,
    );

    driver.type('/ops ping --ticks 1 --tick-seconds 0');
    at = await driver.expect(/needs approval by someone other than you/, at);
    driver.type('as second-user');
    at = await driver.expect(/now acting as second-user/, at);
    driver.type('home');
    at = await driver.expect(/⌂ Home tab of second-user\n/, at);
    const approve =
      /━━ Waiting for your approval ━━\n\s+`ops ping` for @console-user[\s\S]*?\[(\d+)\] Approve +\[\d+\] Reject/;
    await driver.expect(approve, at);
    const number = approve.exec(driver.output.slice(at))![1];

    driver.type(`press ${number}`);
    at = await driver.expect(
      /⌂ Home tab of second-user\n\n.*━━\n\s+✅ Approved; `ping-[0-9a-f]{10}` is queued/,
      at,
    );
    driver.type('quit');
    expect(await driver.exited()).toBe(0);
  }, 120_000);
});
