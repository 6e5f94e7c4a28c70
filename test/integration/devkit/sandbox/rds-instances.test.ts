import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ListTagsForResourceCommand,
  waitUntilDBInstanceAvailable,
  waitUntilDBInstanceDeleted,
  type DBInstance,
} from '@aws-sdk/client-rds';
import {
  connectTo,
  GONE_ENDPOINT,
  FAST_WAITER,
  MASTER,
  startTestSandbox,
  testClientsGroup,
  type TestSandbox,
} from '../../../helpers/sandbox';
import { waitFor } from '../../../helpers/wait-for';

describe('sandbox RDS instances through the real SDK v3 client', () => {
  let t: TestSandbox;
  let prod: DBInstance;

  beforeAll(async () => {
    t = await startTestSandbox();
    const created = await t.clients.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'Prod-DB',
        DBInstanceClass: 'db.t3.micro',
        Engine: 'mysql',
        MasterUsername: MASTER.user,
        MasterUserPassword: MASTER.password,
        DBName: 'billing',
        BackupRetentionPeriod: 7,
        Tags: [{ Key: 'env', Value: 'prod' }],
        VpcSecurityGroupIds: [await testClientsGroup(t)],
      }),
    );
    expect(created.DBInstance?.DBInstanceStatus).toBe('creating');
    expect(created.DBInstance?.DBInstanceIdentifier).toBe('prod-db');
    await waitUntilDBInstanceAvailable(
      { client: t.clients.rds, ...FAST_WAITER },
      { DBInstanceIdentifier: 'prod-db' },
    );
    const described = await t.clients.rds.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'prod-db' }),
    );
    prod = described.DBInstances![0]!;
  });

  afterAll(() => t.dispose());

  it('describes an available instance in the RDS shape', async () => {
    expect(prod).toMatchObject({
      DBInstanceIdentifier: 'prod-db',
      DBInstanceStatus: 'available',
      Engine: 'mysql',
      MasterUsername: MASTER.user,
      DBName: 'billing',
      BackupRetentionPeriod: 7,
      Endpoint: { Address: expect.stringMatching(/^127\.2\.\d+\.\d+$/) },
      DBInstanceArn: 'arn:aws:rds:us-east-1:000000000000:db:prod-db',
      TagList: [{ Key: 'env', Value: 'prod' }],
      ReadReplicaDBInstanceIdentifiers: [],
    });
    expect(prod.VpcSecurityGroups).toEqual([
      { VpcSecurityGroupId: await testClientsGroup(t), Status: 'active' },
    ]);
    expect(prod.LatestRestorableTime!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(prod.InstanceCreateTime).toBeInstanceOf(Date);
  });

  it('is a real MariaDB reachable at its endpoint with the master user', async () => {
    const conn = await connectTo(t, prod, 'billing');
    await conn.query('CREATE TABLE t (id INT PRIMARY KEY)');
    await conn.query('INSERT INTO t VALUES (1), (2)');
    const [rows] = await conn.query('SELECT COUNT(*) AS n FROM t');
    expect(rows).toEqual([{ n: 2 }]);
    await conn.end();
  });

  it('raises the real exception classes', async () => {
    await expect(
      t.clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'nope' })),
    ).rejects.toMatchObject({
      name: 'DBInstanceNotFoundFault',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(
      t.clients.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'prod-db',
          DBInstanceClass: 'db.t3.micro',
          Engine: 'mysql',
          MasterUsername: 'x',
          MasterUserPassword: 'y12345678',
        }),
      ),
    ).rejects.toMatchObject({ name: 'DBInstanceAlreadyExistsFault' });
    await expect(
      t.clients.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'bad--name',
          DBInstanceClass: 'db.t3.micro',
          Engine: 'mysql',
          MasterUsername: 'x',
          MasterUserPassword: 'y12345678',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(
      t.clients.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'no-such-group',
          DBInstanceClass: 'db.t3.micro',
          Engine: 'mysql',
          MasterUsername: 'x',
          MasterUserPassword: 'y12345678',
          VpcSecurityGroupIds: ['sg-0000000000000000f'],
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: 'Invalid security group, groupId= sg-0000000000000000f, groupName=.',
    });
    await expect(
      t.clients.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'prod-db' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    await expect(
      t.clients.rds.send(new DescribeDBInstancesCommand({ MaxRecords: 5 })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
  });

  it('adds and lists tags by ARN', async () => {
    const ResourceName = prod.DBInstanceArn!;
    await t.clients.rds.send(
      new AddTagsToResourceCommand({ ResourceName, Tags: [{ Key: 'owner', Value: 'ops' }] }),
    );
    const { TagList } = await t.clients.rds.send(new ListTagsForResourceCommand({ ResourceName }));
    expect(TagList).toEqual([
      { Key: 'env', Value: 'prod' },
      { Key: 'owner', Value: 'ops' },
    ]);
  });

  it('deletes: deleting, then gone, the process stopped', async () => {
    const temp = await t.clients.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'temp-db',
        DBInstanceClass: 'db.t3.micro',
        Engine: 'mysql',
        MasterUsername: MASTER.user,
        MasterUserPassword: MASTER.password,
        BackupRetentionPeriod: 0,
        VpcSecurityGroupIds: [await testClientsGroup(t)],
      }),
    );
    expect(temp.DBInstance?.DBInstanceStatus).toBe('creating');
    await waitUntilDBInstanceAvailable(
      { client: t.clients.rds, ...FAST_WAITER },
      { DBInstanceIdentifier: 'temp-db' },
    );
    const { DBInstances } = await t.clients.rds.send(new DescribeDBInstancesCommand({}));
    expect(DBInstances!.map((i) => i.DBInstanceIdentifier)).toEqual(['prod-db', 'temp-db']);
    const available = DBInstances![1]!;
    expect(available.LatestRestorableTime).toBeUndefined();
    const deleted = await t.clients.rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'temp-db', SkipFinalSnapshot: true }),
    );
    expect(deleted.DBInstance?.DBInstanceStatus).toBe('deleting');
    await waitUntilDBInstanceDeleted(
      { client: t.clients.rds, ...FAST_WAITER },
      { DBInstanceIdentifier: 'temp-db' },
    );
    // Its server is gone with its files, and its endpoint does not reach it (GONE_ENDPOINT).
    const resourceId = available.DbiResourceId!;
    expect(mariadbdsServing(join(t.dataDir, 'instances', resourceId))).toEqual([]);
    expect(existsSync(join(t.dataDir, 'instances', resourceId))).toBe(false);
    await expect(connectTo(t, available)).rejects.toMatchObject({
      code: expect.stringMatching(GONE_ENDPOINT),
    });
  });

  it('deleted while it is still being created: gone, never failed, no mariadbd left behind', async () => {
    for (const id of ['hasty-1', 'hasty-2', 'hasty-3']) {
      const created = await t.clients.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: id,
          DBInstanceClass: 'db.t3.micro',
          Engine: 'mysql',
          MasterUsername: MASTER.user,
          MasterUserPassword: MASTER.password,
        }),
      );
      const resourceId = created.DBInstance!.DbiResourceId!;
      // At once: the sandbox is still copying the datadir, making the certificate or starting.
      await t.clients.rds.send(
        new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true }),
      );
      const statuses = new Set<string>();
      await waitFor(
        async () => {
          const { DBInstances } = await t.clients.rds.send(new DescribeDBInstancesCommand({}));
          const instance = DBInstances!.find((i) => i.DBInstanceIdentifier === id);
          if (instance) statuses.add(instance.DBInstanceStatus!);
          return instance ? undefined : true;
        },
        60_000,
        `${id} to be gone`,
      );
      expect([...statuses].filter((status) => status !== 'deleting')).toEqual([]);
      expect(mariadbdsServing(join(t.dataDir, 'instances', resourceId))).toEqual([]);
      expect(existsSync(join(t.dataDir, 'instances', resourceId))).toBe(false);
    }
  }, 120_000);
});

/** Live mariadbd processes started on `dataDir`. */
function mariadbdsServing(dataDir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
          .split('\0')
          .includes(`--datadir=${dataDir}`);
      } catch {
        return false;
      }
    });
}
