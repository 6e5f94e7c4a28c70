import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { freePort } from '../../devkit/sandbox/free-port';
import { ConsoleDriver } from '../helpers/console-driver';
import { MYSQL, REDIS_URL, connectRedis, deleteRedisPrefix, uniqueName } from '../helpers/services';

const ROOT = join(__dirname, '../..');

/**
 * `npm run dev` as shipped, sandbox cloud and on-premise replica included, in a directory of its
 * own (its .local/ there): the replica watch checks the console's `onprem` replica, which is not
 * seeded yet, and the alert reaches the console with its buttons, which work at the prompt.
 */
describe('console mode watches its on-premise replica (npm run dev)', () => {
  const prefix = uniqueName('console-watch');
  let dir: string;
  let driver: ConsoleDriver;

  beforeAll(async () => {
    const config = parse(readFileSync(join(ROOT, 'config/console.yaml'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    config.http = { ...config.http, port: 0 };
    config.redis = { url: REDIS_URL, prefix };
    config.mysql = { ...config.mysql, host: MYSQL.host, port: MYSQL.port };
    config.replicaWatch = { ...config.replicaWatch, intervalSeconds: 1 };
    dir = mkdtempSync(join(tmpdir(), 'opsdeck-console-watch-'));
    // Its own sandbox, on a free port, in its own directory (the config's relative paths too).
    config.sandbox = { port: 0, dataDir: join(dir, '.local/sandbox') };
    // Its on-premise replica on a free port: not the 3316 a developer's `npm run dev` may hold.
    const replicas = config.replicas as Record<string, Record<string, unknown>>;
    replicas.onprem = { ...replicas.onprem, port: await freePort('127.4.0.1') };
    writeFileSync(join(dir, 'opsdeck.yaml'), stringify(config));
    driver = new ConsoleDriver({ config: join(dir, 'opsdeck.yaml'), cwd: dir });
  });

  afterAll(async () => {
    await driver.stop();
    const redis = connectRedis();
    await deleteRedisPrefix(redis, prefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('posts the unseeded replica alert with Reseed and Mute; Mute works from the prompt', async () => {
    let at = await driver.expect(
      /on-premise replica \(for \/seed-slave billing onprem\)/,
      0,
      120_000,
    );
    at = await driver.expect(/you are console-user\./, at, 60_000);
    const alert =
      /#devops_alert 🔴 \*Replica watch\*: onprem: is not configured as a replica: it does not replicate[\s\S]*?seed it again: `\/seed-slave billing onprem`\s+buttons: \[(\d+)\] Reseed {2}\[(\d+)\] Mute 4 h/;
    const end = await driver.expect(alert, at, 60_000);
    const mute = alert.exec(driver.output.slice(at))![2]!;
    at = end;
    driver.type('/ops replicas');
    at = await driver.expect(/onprem[\s\S]*?does not replicate/, at);
    driver.type(`press ${mute}`);
    at = await driver.expect(/onprem's new alerts are muted until/, at);
    driver.type('quit');
    expect(await driver.exited()).toBe(0);
  }, 240_000);
});
