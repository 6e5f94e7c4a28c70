import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateDBInstanceCommand,
  DescribeDBInstancesCommand,
  waitUntilDBInstanceAvailable,
} from '@aws-sdk/client-rds';
import { freePort } from '../../../../devkit/sandbox/free-port';
import { FAST_WAITER, MASTER, sdkClients } from '../../../helpers/sandbox';

/** mariadbd processes whose datadir lies under `dir`. */
function mariadbdsUnder(dir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return cmdline.includes('mariadbd') && cmdline.includes(`--datadir=${dir}`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('devkit/sandbox/main.ts as a process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-sbx-main-'));
  const configPath = join(dir, 'opsdeck.yaml');
  let url: string;
  const children: ChildProcess[] = [];

  function startMain(): Promise<ChildProcess> {
    // node itself (not npx) so that the pid is the sandbox's own and SIGKILL really crashes it.
    const child = spawn(process.execPath, ['--import', 'tsx', 'devkit/sandbox/main.ts'], {
      cwd: join(__dirname, '../../../..'),
      env: { ...process.env, OPSDECK_CONFIG: configPath },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes(`sandbox listening on ${url}`)) resolve(child);
      });
      child.once('exit', (code) =>
        reject(new Error(`sandbox exited (${code}) before listening: ${out}`)),
      );
    });
  }

  const exited = (child: ChildProcess) =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code));
    });

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    writeFileSync(
      configPath,
      `sandbox:\n  dataDir: ${join(dir, 'data')}\n  port: ${port}\n  createDelayMs: 100\n`,
    );
  });

  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    for (const pid of mariadbdsUnder(dir)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops every mariadbd on SIGTERM, and takes over the ones a killed sandbox left behind', async () => {
    const first = await startMain();
    const clients = sdkClients(url);
    await clients.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'prod',
        DBInstanceClass: 'db.t3.micro',
        Engine: 'mysql',
        MasterUsername: MASTER.user,
        MasterUserPassword: MASTER.password,
        BackupRetentionPeriod: 0,
      }),
    );
    await waitUntilDBInstanceAvailable(
      { client: clients.rds, ...FAST_WAITER },
      { DBInstanceIdentifier: 'prod' },
    );
    const [orphan] = mariadbdsUnder(dir);
    expect(orphan).toBeDefined();

    // A crash: the sandbox dies without stopping its instance, which keeps running.
    first.kill('SIGKILL');
    await exited(first);
    expect(mariadbdsUnder(dir)).toEqual([orphan]);

    const second = await startMain();
    await waitUntilDBInstanceAvailable(
      { client: clients.rds, ...FAST_WAITER },
      { DBInstanceIdentifier: 'prod' },
    );
    const running = mariadbdsUnder(dir);
    expect(running).toHaveLength(1);
    expect(running).not.toContain(orphan);
    const { DBInstances } = await clients.rds.send(new DescribeDBInstancesCommand({}));
    expect(DBInstances![0]!.DBInstanceStatus).toBe('available');

    second.kill('SIGTERM');
    expect(await exited(second)).toBe(0);
    expect(mariadbdsUnder(dir)).toEqual([]);
  });
});
