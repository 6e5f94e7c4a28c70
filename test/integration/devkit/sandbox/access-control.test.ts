import { DescribeInstancesCommand, DescribeSecurityGroupRulesCommand } from '@aws-sdk/client-ec2';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { GetChangeCommand, ListHostedZonesByNameCommand } from '@aws-sdk/client-route-53';
import { route53Action } from '../../../../devkit/sandbox/route53/route53-service';
import { sdkClients, startTestSandbox, type TestSandbox } from '../../../helpers/sandbox';

/**
 * The sandbox's IAM stand-in: every call recorded with its IAM action and access key; denied
 * actions refused as each service refuses them; EC2's DryRun answered DryRunOperation or
 * UnauthorizedOperation.
 */
let t: TestSandbox;

beforeAll(async () => {
  t = await startTestSandbox();
});
afterAll(() => t.dispose());
afterEach(() => t.sandbox.access.allowAll());

async function errorOf(call: Promise<unknown>): Promise<{ name: string; status?: number }> {
  return call.then(
    () => ({ name: 'none' }),
    (error: Error & { $metadata?: { httpStatusCode?: number } }) => ({
      name: error.name,
      status: error.$metadata?.httpStatusCode,
    }),
  );
}

it('records every call with its IAM action and the access key that signed it', async () => {
  const before = t.sandbox.access.calls.length;
  await t.clients.rds.send(new DescribeDBInstancesCommand({}));
  await t.clients.route53.send(new ListHostedZonesByNameCommand({}));
  await errorOf(t.clients.route53.send(new GetChangeCommand({ Id: 'C0NOSUCHCHANGE' })));
  await t.clients.ec2.send(new DescribeSecurityGroupRulesCommand({}));
  expect(t.sandbox.access.calls.slice(before)).toEqual([
    expect.objectContaining({
      action: 'rds:DescribeDBInstances',
      accessKeyId: 'AKIASANDBOX',
      dryRun: false,
    }),
    expect.objectContaining({
      action: 'route53:ListHostedZonesByName',
      accessKeyId: 'AKIASANDBOX',
    }),
    expect.objectContaining({ action: 'route53:GetChange', accessKeyId: 'AKIASANDBOX' }),
    expect.objectContaining({
      action: 'ec2:DescribeSecurityGroupRules',
      accessKeyId: 'AKIASANDBOX',
    }),
  ]);
  expect(t.sandbox.access.actions('AKIASANDBOX')).toEqual(
    expect.arrayContaining(['rds:DescribeDBInstances', 'route53:GetChange']),
  );
});

it('answers EC2 DryRun with DryRunOperation when allowed, UnauthorizedOperation when denied', async () => {
  const dryRun = () => t.clients.ec2.send(new DescribeInstancesCommand({ DryRun: true }));
  expect(await errorOf(dryRun())).toEqual({ name: 'DryRunOperation', status: 412 });
  t.sandbox.access.deny(['ec2:DescribeInstances']);
  expect(await errorOf(dryRun())).toEqual({ name: 'UnauthorizedOperation', status: 403 });
  expect(await errorOf(t.clients.ec2.send(new DescribeInstancesCommand({})))).toEqual({
    name: 'UnauthorizedOperation',
    status: 403,
  });
  expect(t.sandbox.access.calls.at(-2)).toMatchObject({
    action: 'ec2:DescribeInstances',
    dryRun: true,
  });
});

it('refuses denied RDS and Route53 actions with AccessDenied, for the keys it was told', async () => {
  t.sandbox.access.deny(
    ['rds:DescribeDBInstances', 'route53:ListHostedZonesByName'],
    'AKIASANDBOX',
  );
  expect(await errorOf(t.clients.rds.send(new DescribeDBInstancesCommand({})))).toEqual({
    name: 'AccessDenied',
    status: 403,
  });
  expect(await errorOf(t.clients.route53.send(new ListHostedZonesByNameCommand({})))).toEqual({
    name: 'AccessDenied',
    status: 403,
  });
  // Another principal is not concerned.
  const other = sdkClients(t.sandbox.url);
  other.rds.config.credentials = async () => ({ accessKeyId: 'AKIAOTHER', secretAccessKey: 'x' });
  await expect(other.rds.send(new DescribeDBInstancesCommand({}))).resolves.toBeDefined();
  t.sandbox.access.allowAll();
  await expect(t.clients.rds.send(new DescribeDBInstancesCommand({}))).resolves.toBeDefined();
});

it('names Route53 requests as IAM does', () => {
  const url = (path: string) => new URL(`http://sandbox/2013-04-01/${path}`);
  expect(route53Action('GET', url('hostedzonesbyname'))).toBe('ListHostedZonesByName');
  expect(route53Action('POST', url('hostedzone'))).toBe('CreateHostedZone');
  expect(route53Action('GET', url('hostedzone/Z1'))).toBe('GetHostedZone');
  expect(route53Action('DELETE', url('hostedzone/Z1'))).toBe('DeleteHostedZone');
  expect(route53Action('GET', url('hostedzone/Z1/rrset'))).toBe('ListResourceRecordSets');
  expect(route53Action('POST', url('hostedzone/Z1/rrset/'))).toBe('ChangeResourceRecordSets');
  expect(route53Action('GET', url('change/C1'))).toBe('GetChange');
});
