import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  waitUntilInstanceRunning,
} from '@aws-sdk/client-ec2';
import { FAST_WAITER, startTestSandbox, type TestSandbox } from '../../../helpers/sandbox';

describe('sandbox EC2 through the real SDK v3 client', () => {
  let t: TestSandbox;
  let dbGroup: string;
  let workerGroup: string;

  beforeAll(async () => {
    t = await startTestSandbox();
    const db = await t.clients.ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: 'prod-db',
        Description: 'production database',
        TagSpecifications: [
          { ResourceType: 'security-group', Tags: [{ Key: 'env', Value: 'prod' }] },
        ],
      }),
    );
    dbGroup = db.GroupId!;
    workerGroup = (
      await t.clients.ec2.send(
        new CreateSecurityGroupCommand({ GroupName: 'workers', Description: 'opsdeck workers' }),
      )
    ).GroupId!;
  });

  afterAll(() => t.dispose());

  it('creates and describes security groups, with Duplicate and NotFound errors', async () => {
    expect(dbGroup).toMatch(/^sg-[0-9a-f]{17}$/);
    const { SecurityGroups } = await t.clients.ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:env', Values: ['prod'] }] }),
    );
    expect(SecurityGroups).toEqual([
      expect.objectContaining({
        GroupId: dbGroup,
        GroupName: 'prod-db',
        Description: 'production database',
        Tags: [{ Key: 'env', Value: 'prod' }],
        IpPermissions: [],
      }),
    ]);
    await expect(
      t.clients.ec2.send(
        new CreateSecurityGroupCommand({ GroupName: 'prod-db', Description: 'again' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidGroup.Duplicate', $metadata: { httpStatusCode: 400 } });
    await expect(
      t.clients.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0000000000000000f'] })),
    ).rejects.toMatchObject({ name: 'InvalidGroup.NotFound' });
  });

  it('authorizes tagged ingress rules, finds them by tag, refuses duplicates, revokes', async () => {
    const authorized = await t.clients.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: dbGroup,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 3306,
            ToPort: 3306,
            IpRanges: [{ CidrIp: '10.1.2.3/32', Description: 'restore-table job 42' }],
            UserIdGroupPairs: [{ GroupId: workerGroup }],
          },
        ],
        TagSpecifications: [
          { ResourceType: 'security-group-rule', Tags: [{ Key: 'opsdeck:job', Value: '42' }] },
        ],
      }),
    );
    expect(authorized.Return).toBe(true);
    expect(authorized.SecurityGroupRules).toHaveLength(2);

    const { SecurityGroupRules } = await t.clients.ec2.send(
      new DescribeSecurityGroupRulesCommand({
        Filters: [{ Name: 'tag:opsdeck:job', Values: ['42'] }],
      }),
    );
    expect(SecurityGroupRules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          GroupId: dbGroup,
          IsEgress: false,
          IpProtocol: 'tcp',
          FromPort: 3306,
          ToPort: 3306,
          CidrIpv4: '10.1.2.3/32',
          Description: 'restore-table job 42',
          Tags: [{ Key: 'opsdeck:job', Value: '42' }],
        }),
        expect.objectContaining({
          ReferencedGroupInfo: expect.objectContaining({ GroupId: workerGroup }),
        }),
      ]),
    );
    const described = await t.clients.ec2.send(
      new DescribeSecurityGroupsCommand({ GroupIds: [dbGroup] }),
    );
    expect(described.SecurityGroups![0]!.IpPermissions).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 3306,
        IpRanges: [{ CidrIp: '10.1.2.3/32', Description: 'restore-table job 42' }],
        UserIdGroupPairs: [expect.objectContaining({ GroupId: workerGroup })],
      }),
    ]);

    const cidrRule = {
      IpProtocol: 'tcp',
      FromPort: 3306,
      ToPort: 3306,
      IpRanges: [{ CidrIp: '10.1.2.3/32' }],
    };
    await expect(
      t.clients.ec2.send(
        new AuthorizeSecurityGroupIngressCommand({ GroupId: dbGroup, IpPermissions: [cidrRule] }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidPermission.Duplicate' });
    await t.clients.ec2.send(
      new RevokeSecurityGroupIngressCommand({ GroupId: dbGroup, IpPermissions: [cidrRule] }),
    );
    await expect(
      t.clients.ec2.send(
        new RevokeSecurityGroupIngressCommand({ GroupId: dbGroup, IpPermissions: [cidrRule] }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidPermission.NotFound' });
    const left = await t.clients.ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [dbGroup] }] }),
    );
    // What is left: the group reference, and the egress rule EC2 gives every new group.
    const inbound = left.SecurityGroupRules!.filter((rule) => !rule.IsEgress);
    expect(inbound.map((rule) => rule.ReferencedGroupInfo?.GroupId)).toEqual([workerGroup]);
    expect(left.SecurityGroupRules!.filter((rule) => rule.IsEgress)).toEqual([
      expect.objectContaining({ IpProtocol: '-1', CidrIpv4: '0.0.0.0/0' }),
    ]);
    await t.clients.ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: dbGroup,
        SecurityGroupRuleIds: [inbound[0]!.SecurityGroupRuleId!],
      }),
    );
  });

  it('pages DescribeSecurityGroupRules with NextToken', async () => {
    await t.clients.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: workerGroup,
        IpPermissions: Array.from({ length: 7 }, (_, i) => ({
          IpProtocol: 'tcp',
          FromPort: 8000 + i,
          ToPort: 8000 + i,
          IpRanges: [{ CidrIp: '10.0.0.0/8' }],
        })),
      }),
    );
    // Its 7 rules and its egress rule: 8 in all.
    const Filters = [{ Name: 'group-id', Values: [workerGroup] }];
    const first = await t.clients.ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters, MaxResults: 5 }),
    );
    expect(first.SecurityGroupRules).toHaveLength(5);
    const second = await t.clients.ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters, MaxResults: 5, NextToken: first.NextToken }),
    );
    expect(second.SecurityGroupRules).toHaveLength(3);
    expect(second.NextToken).toBeUndefined();
  });

  it('runs instances as deploy targets on loopback addresses, found by tags and state', async () => {
    const run = await t.clients.ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-12345678',
        InstanceType: 't3.micro',
        MinCount: 2,
        MaxCount: 2,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: 'app', Value: 'billing' },
              { Key: 'env', Value: 'prod' },
            ],
          },
        ],
      }),
    );
    const ids = run.Instances!.map((instance) => instance.InstanceId!);
    expect(run.Instances![0]!.State?.Name).toBe('pending');
    await waitUntilInstanceRunning({ client: t.clients.ec2, ...FAST_WAITER }, { InstanceIds: ids });
    const { Reservations } = await t.clients.ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:app', Values: ['billing'] },
          { Name: 'instance-state-name', Values: ['running'] },
        ],
      }),
    );
    const instances = Reservations!.flatMap((reservation) => reservation.Instances!);
    expect(instances.map((instance) => instance.InstanceId).sort()).toEqual([...ids].sort());
    for (const instance of instances) {
      expect(instance.PrivateIpAddress).toMatch(/^127\.0\.1\.\d+$/);
      expect(instance.PrivateDnsName).toBe(
        `ip-${instance.PrivateIpAddress!.replace(/\./g, '-')}.ec2.internal`,
      );
    }
    const none = await t.clients.ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:app', Values: ['other'] }] }),
    );
    expect(none.Reservations).toEqual([]);
  });
});
