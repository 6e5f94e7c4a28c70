import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { DescribeDBInstancesCommand, waitUntilDBInstanceAvailable } from '@aws-sdk/client-rds';
import {
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
} from '@aws-sdk/client-route-53';
import mysql from 'mysql2/promise';
import { runSandboxCli } from '../../../../devkit/sandbox/cli';
import { SandboxConfig } from '../../../../devkit/sandbox/config';
import { freePort } from '../../../../devkit/sandbox/free-port';
import { SEED } from '../../../../devkit/sandbox/seed';
import {
  FAST_WAITER,
  GONE_ENDPOINT,
  sandboxTls,
  startTestSandbox,
  type TestSandbox,
} from '../../../helpers/sandbox';

describe('sandbox state across restarts, seed and reset', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opsdeck-sbx-persist-'));
  let port: number;
  let config: SandboxConfig;
  let running: TestSandbox | undefined;

  const connectProduction = async (t: TestSandbox) => {
    const { DBInstances } = await t.clients.rds.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'production' }),
    );
    return mysql.createConnection({
      ...sandboxTls(t, DBInstances![0]!),
      user: SEED.masterUsername,
      password: SEED.masterPassword,
      database: SEED.database,
    });
  };

  beforeAll(async () => {
    port = await freePort();
    config = SandboxConfig.parse({ dataDir, port });
  });

  afterAll(async () => {
    await running?.dispose();
  });

  it('seeds production, a private zone and deploy hosts through `npm run sandbox -- seed`', async () => {
    running = await startTestSandbox({ dataDir, port });
    expect(await runSandboxCli(['seed'], config)).toBe(0);
    const conn = await connectProduction(running);
    const [[counts]] = (await conn.query(
      'SELECT (SELECT COUNT(*) FROM customers) AS customers, (SELECT COUNT(*) FROM invoices) AS invoices',
    )) as unknown as [Record<string, number>[]];
    expect(counts).toEqual({ customers: 500, invoices: 5000 });
    await conn.query("INSERT INTO customers VALUES (9999, 'Marker', 'marker@example.com', NOW())");
    await conn.end();
    expect(await runSandboxCli(['seed'], config)).toBe(0); // idempotent
  });

  it('keeps instances (with their data), groups, zones and hosts across a restart', async () => {
    const before = (await running!.clients.rds.send(new DescribeDBInstancesCommand({})))
      .DBInstances![0]!;
    await running!.sandbox.stop();
    await expect(
      mysql.createConnection({
        host: before.Endpoint!.Address!,
        port: before.Endpoint!.Port!,
        user: 'x',
      }),
    ).rejects.toMatchObject({ code: expect.stringMatching(GONE_ENDPOINT) });

    running = await startTestSandbox({ dataDir, port });
    const t = running;
    await waitUntilDBInstanceAvailable(
      { client: t.clients.rds, ...FAST_WAITER },
      { DBInstanceIdentifier: 'production' },
    );
    const after = (await t.clients.rds.send(new DescribeDBInstancesCommand({}))).DBInstances![0]!;
    expect(after.Endpoint).toEqual(before.Endpoint);
    expect(after.DbiResourceId).toBe(before.DbiResourceId);
    const conn = await connectProduction(t);
    const [marker] = await conn.query('SELECT name FROM customers WHERE id = 9999');
    expect(marker).toEqual([{ name: 'Marker' }]);
    await conn.end();

    const groups = await t.clients.ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [{ Name: 'group-name', Values: ['production-db'] }],
      }),
    );
    expect(groups.SecurityGroups).toHaveLength(1);
    const hosts = await t.clients.ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:app', Values: ['billing'] }] }),
    );
    expect(hosts.Reservations).toHaveLength(3);
    const zones = await t.clients.route53.send(
      new ListHostedZonesByNameCommand({ DNSName: SEED.zone }),
    );
    const zone = zones.HostedZones!.find((candidate) => candidate.Name === SEED.zone)!;
    const records = await t.clients.route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zone.Id! }),
    );
    expect(records.ResourceRecordSets!.map((set) => `${set.Name} ${set.Type}`)).toContain(
      `db-billing.${SEED.zone} A`,
    );
  });

  it('refuses a reset while running; a reset clears everything', async () => {
    await expect(runSandboxCli(['reset'], config)).rejects.toMatchObject({
      code: 'OPSDECK_SANDBOX_STATE',
    });
    await running!.sandbox.stop();
    expect(await runSandboxCli(['reset'], config)).toBe(0);
    expect(existsSync(dataDir)).toBe(false);
    running = await startTestSandbox({ dataDir, port });
    const { DBInstances } = await running.clients.rds.send(new DescribeDBInstancesCommand({}));
    expect(DBInstances).toEqual([]);
  });

  it('rejects unknown sandbox commands with the usage', async () => {
    await expect(runSandboxCli(['launch'], config)).rejects.toMatchObject({
      code: 'OPSDECK_USAGE_ERROR',
      usage: 'npm run sandbox -- start | reset | seed [--big]',
    });
  });
});
