import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { CreateDBInstanceCommand, type DBInstance } from '@aws-sdk/client-rds';
import mysql from 'mysql2/promise';
import { mysqlConnectOptions } from '../../../../src/mysql/connect-options';
import { loadMysqlTls } from '../../../../src/mysql/connection-tls';
import { probeEndpoint } from '../../../helpers/gate-probe';
import {
  MASTER,
  describeTestInstance,
  startTestSandbox,
  waitTestInstanceAvailable,
  type TestSandbox,
} from '../../../helpers/sandbox';

/**
 * The sandbox enforces security groups: every DB instance's endpoint is a gate that lets a TCP
 * connection through only when an inbound rule of one of its groups admits the client's address
 * on the endpoint's port (by CIDR, or by the client being a member of a referenced group), and
 * gives a refused one no answer at all. Clients are told apart by loopback address.
 */
describe('sandbox security groups are enforced at DB instance endpoints', () => {
  let t: TestSandbox;
  let group: string;
  let peers: string;
  let db: DBInstance;
  let endpoint: { host: string; port: number };

  const createGroup = async (name: string) =>
    (
      await t.clients.ec2.send(
        new CreateSecurityGroupCommand({ GroupName: name, Description: name }),
      )
    ).GroupId!;
  const tcp = (port: number, from: Partial<IpPermission>): IpPermission[] => [
    { IpProtocol: 'tcp', FromPort: port, ToPort: port, ...from },
  ];
  const authorize = (GroupId: string, IpPermissions: IpPermission[]) =>
    t.clients.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions }));
  const revoke = (GroupId: string, IpPermissions: IpPermission[]) =>
    t.clients.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId, IpPermissions }));
  /** As opsdeck connects from `network.sourceAddress`: that address, TLS, identity checked. */
  const connectFrom = (localAddress: string) =>
    mysql.createConnection({
      ...endpoint,
      ...MASTER,
      ...mysqlConnectOptions(
        endpoint,
        loadMysqlTls('test', { mode: 'verify-identity', caFile: t.sandbox.caFile }),
        { localAddress },
      ),
    });
  const reach = (localAddress?: string, target = endpoint) =>
    probeEndpoint(target, { timeoutMs: 800, ...(localAddress && { localAddress }) });

  async function createInstance(id: string, groups?: string[]): Promise<DBInstance> {
    await t.clients.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: id,
        DBInstanceClass: 'db.t3.micro',
        Engine: 'mysql',
        MasterUsername: MASTER.user,
        MasterUserPassword: MASTER.password,
        BackupRetentionPeriod: 0,
        ...(groups && { VpcSecurityGroupIds: groups }),
      }),
    );
    await waitTestInstanceAvailable(t, id);
    return describeTestInstance(t, id);
  }

  beforeAll(async () => {
    t = await startTestSandbox();
    group = await createGroup('db');
    peers = await createGroup('peers');
    db = await createInstance('guarded', [group]);
    endpoint = { host: db.Endpoint!.Address!, port: db.Endpoint!.Port! };
  }, 120_000);

  afterAll(() => t.dispose());

  it("gives each instance an endpoint address of its own on loopback, on RDS's port", async () => {
    expect(endpoint.host).toMatch(/^127\.2\.\d+\.\d+$/);
    expect(endpoint.port).toBe(3306);
  });

  it('a group without inbound rules admits nobody: no answer, and the refusal is on record', async () => {
    expect(await reach()).toBe('silent');
    await expect(
      mysql.createConnection({ ...endpoint, ...MASTER, connectTimeout: 800 }),
    ).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(t.sandbox.refusedConnections().at(-1)).toMatchObject({
      instance: 'guarded',
      client: '127.0.0.1',
      reason: `no inbound rule of ${group} admits 127.0.0.1 on tcp/${endpoint.port}`,
    });
  });

  it('admits by CIDR on the endpoint port only, and tells addresses apart', async () => {
    await authorize(group, tcp(3305, { IpRanges: [{ CidrIp: '127.0.0.1/32' }] }));
    await authorize(group, tcp(3307, { IpRanges: [{ CidrIp: '127.0.0.1/32' }] }));
    expect(await reach()).toBe('silent'); // right address, wrong ports
    await authorize(group, tcp(endpoint.port, { IpRanges: [{ CidrIp: '127.0.0.5/32' }] }));
    expect(await reach()).toBe('silent'); // right port, another address
    expect(await reach('127.0.0.5')).toBe('greeted');
    expect(await reach('127.0.0.6')).toBe('silent');
    const conn = await connectFrom('127.0.0.5');
    const [[row]] = await conn.query<mysql.RowDataPacket[]>('SELECT 1 AS one');
    expect(row).toEqual({ one: 1 });
    // The TLS session passed through the gate: mariadbd encrypts it, its certificate checked
    // against the endpoint's address, from the address the rule admits.
    const [[cipher]] = await conn.query<mysql.RowDataPacket[]>(
      "SHOW SESSION STATUS LIKE 'Ssl_cipher'",
    );
    expect(cipher!.Value).not.toBe('');
    // mariadbd sees the gate's own connection, not the client's address (see the README's table).
    await conn.end();
  });

  it('revoking refuses new connections; a connection it let in goes on', async () => {
    const rule = tcp(endpoint.port, { IpRanges: [{ CidrIp: '127.0.0.8/30' }] });
    await authorize(group, rule);
    const open = await connectFrom('127.0.0.9');
    await revoke(group, rule);
    expect(await reach('127.0.0.9')).toBe('silent');
    const [[row]] = await open.query<mysql.RowDataPacket[]>('SELECT 2 AS two');
    expect(row).toEqual({ two: 2 });
    await open.end();
  });

  it('admits the members of a source group: EC2 instances by private address, DB instances by endpoint address', async () => {
    await authorize(group, tcp(endpoint.port, { UserIdGroupPairs: [{ GroupId: peers }] }));
    const { Instances } = await t.clients.ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-12345678',
        MinCount: 2,
        MaxCount: 2,
        SecurityGroupIds: [peers],
      }),
    );
    const [member] = Instances!.map((i) => i.PrivateIpAddress!);
    expect(member).toMatch(/^127\.0\.1\.\d+$/);
    expect(await reach(member)).toBe('greeted');
    const outsider = await t.clients.ec2.send(
      new RunInstancesCommand({ ImageId: 'ami-12345678', MinCount: 1, MaxCount: 1 }),
    );
    expect(await reach(outsider.Instances![0]!.PrivateIpAddress!)).toBe('silent');
    const peerDb = await createInstance('peer-db', [peers]);
    expect(await reach(peerDb.Endpoint!.Address!)).toBe('greeted');
  }, 120_000);

  it("every protocol (-1) opens every port; a rule of another instance's group does not", async () => {
    const other = await createGroup('other');
    await authorize(other, [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '127.0.0.20/32' }] }]);
    expect(await reach('127.0.0.20')).toBe('silent');
    await authorize(group, [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '127.0.0.20/32' }] }]);
    expect(await reach('127.0.0.20')).toBe('greeted');
  });

  it('a new VPC default group admits only its own members, as on AWS', async () => {
    const lone = await createInstance('in-default');
    const groupId = lone.VpcSecurityGroups![0]!.VpcSecurityGroupId!;
    const { SecurityGroupRules } = await t.clients.ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
    );
    expect(SecurityGroupRules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          IsEgress: false,
          IpProtocol: '-1',
          ReferencedGroupInfo: expect.objectContaining({ GroupId: groupId }),
        }),
        expect.objectContaining({ IsEgress: true, IpProtocol: '-1', CidrIpv4: '0.0.0.0/0' }),
      ]),
    );
    const target = { host: lone.Endpoint!.Address!, port: lone.Endpoint!.Port! };
    expect(await reach(undefined, target)).toBe('silent');
    expect(await reach(endpoint.host, target)).toBe('silent'); // `guarded` is not in it
    const neighbour = await createInstance('also-in-default');
    expect(await reach(neighbour.Endpoint!.Address!, target)).toBe('greeted');
  }, 120_000);

  it('a group still in use, or the default group, cannot be deleted', async () => {
    await expect(
      t.clients.ec2.send(new DeleteSecurityGroupCommand({ GroupId: group })),
    ).rejects.toMatchObject({ name: 'DependencyViolation' });
    const lone = await describeTestInstance(t, 'in-default');
    await expect(
      t.clients.ec2.send(
        new DeleteSecurityGroupCommand({
          GroupId: lone.VpcSecurityGroups![0]!.VpcSecurityGroupId!,
        }),
      ),
    ).rejects.toMatchObject({ name: 'CannotDelete' });
  });
});
