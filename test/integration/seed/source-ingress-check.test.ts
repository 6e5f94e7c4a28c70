import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { checkSourceIngress } from '../../../src/seed/source-ingress-check';
import { startTestSandbox, type TestSandbox } from '../../helpers/sandbox';

/** The check through the real EC2 client against the sandbox's security groups. */
describe('checkSourceIngress', () => {
  let t: TestSandbox;
  let dbGroup: string;
  let otherGroup: string;
  let workerGroup: string;

  const createGroup = async (name: string) =>
    (
      await t.clients.ec2.send(
        new CreateSecurityGroupCommand({ GroupName: name, Description: name }),
      )
    ).GroupId!;
  const allow = (groupId: string, permission: IpPermission) =>
    t.clients.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [permission] }),
    );
  const check = (port: number, replicaHost = '127.0.0.1', groupIds = [dbGroup, otherGroup]) =>
    checkSourceIngress(t.clients.ec2, { groupIds, port, replicaHost });

  beforeAll(async () => {
    t = await startTestSandbox();
    dbGroup = await createGroup('source-db');
    otherGroup = await createGroup('source-db-extra');
    workerGroup = await createGroup('workers');
    // None of these admits 127.0.0.1 on tcp/3306.
    const on = (IpProtocol: string, port: number, from: IpPermission) =>
      allow(dbGroup, { IpProtocol, FromPort: port, ToPort: port, ...from });
    await on('tcp', 3306, { IpRanges: [{ CidrIp: '10.0.0.0/8' }] });
    await on('tcp', 3306, { UserIdGroupPairs: [{ GroupId: workerGroup }] });
    await on('udp', 3306, { IpRanges: [{ CidrIp: '127.0.0.0/8' }] });
    await on('tcp', 22, { IpRanges: [{ CidrIp: '127.0.0.1/32' }] });
  });

  afterAll(() => t.dispose());

  it('finds no rule for the replica: names its addresses and counts the group-only rules', async () => {
    await expect(check(3306)).resolves.toEqual({
      admitted: false,
      addresses: ['127.0.0.1'],
      fromGroups: 1,
    });
    await expect(check(3306, 'localhost', [])).resolves.toMatchObject({ admitted: false });
  });

  it('finds the rule whose port range and CIDR hold the replica, in any of the groups', async () => {
    await allow(otherGroup, {
      IpProtocol: 'tcp',
      FromPort: 3300,
      ToPort: 3400,
      IpRanges: [{ CidrIp: '127.0.0.0/24' }],
    });
    await expect(check(3306)).resolves.toMatchObject({
      admitted: true,
      address: '127.0.0.1',
      groupId: otherGroup,
      cidr: '127.0.0.0/24',
      ruleId: expect.stringMatching(/^sgr-/),
    });
    // The same rule does not cover another port.
    await expect(check(3401)).resolves.toMatchObject({ admitted: false });
  });

  it('counts an every-protocol rule as admitting every port', async () => {
    await allow(dbGroup, { IpProtocol: '-1', IpRanges: [{ CidrIp: '127.0.0.2/32' }] });
    await expect(check(5432, '127.0.0.2')).resolves.toMatchObject({
      admitted: true,
      cidr: '127.0.0.2/32',
    });
  });

  it('fails on a host that does not resolve (the caller turns it into a warning)', async () => {
    await expect(check(3306, 'no-such-host.invalid')).rejects.toThrow(/ENOTFOUND|EAI_AGAIN/);
  });
});
