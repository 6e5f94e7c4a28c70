import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { seedSandbox } from '../../../../devkit/sandbox/seed';
import { probeEndpoint } from '../../../helpers/gate-probe';
import { startTestSandbox, type TestSandbox } from '../../../helpers/sandbox';

const execFileAsync = promisify(execFile);

/** Debian's AWS CLI v2 (package awscli, installed by scripts/local-services.sh install). */
const AWS = '/usr/bin/aws';

/**
 * The sandbox answers a second, independent AWS client: the AWS CLI (botocore, Python), for the
 * calls the runbooks make (and a user would make by hand beside them), its paginators included.
 * The SDK v3 clients of every other test are the first.
 */
describe('the sandbox through the AWS CLI', () => {
  let t: TestSandbox;

  async function aws<T = Record<string, unknown>>(...args: string[]): Promise<T> {
    const { stdout } = await execFileAsync(
      AWS,
      ['--endpoint-url', t.sandbox.url, '--output', 'json', ...args],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          AWS_ACCESS_KEY_ID: 'AKIASANDBOX',
          AWS_SECRET_ACCESS_KEY: 'not-checked',
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_PAGER: '',
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        },
      },
    );
    return (stdout.trim() === '' ? {} : JSON.parse(stdout)) as T;
  }

  beforeAll(async () => {
    if (!existsSync(AWS))
      throw new Error(`${AWS} is missing: run \`bash scripts/local-services.sh install\``);
    t = await startTestSandbox({ route53SyncDelayMs: 300 });
    await seedSandbox(t.clients, { big: false, caFile: t.sandbox.caFile });
  }, 120_000);

  afterAll(() => t?.dispose());

  it('route53: list-hosted-zones and list-resource-record-sets page through everything, in Route53 order', async () => {
    for (const name of ['a.example.internal', 'b.example.internal']) {
      await aws(
        'route53',
        'create-hosted-zone',
        '--name',
        name,
        '--caller-reference',
        `cli-${name}`,
        '--vpc',
        'VPCRegion=us-east-1,VPCId=vpc-0123456789abcdef0',
      );
    }
    const listed = await aws<{ HostedZones: { Name: string; Config: { PrivateZone: boolean } }[] }>(
      'route53',
      'list-hosted-zones',
      '--page-size',
      '1',
    );
    expect(listed.HostedZones.map((zone) => zone.Name).sort()).toEqual([
      'a.example.internal.',
      'b.example.internal.',
      'prod.example.internal.',
    ]);
    const { HostedZones } = await aws<{ HostedZones: { Id: string; Name: string }[] }>(
      'route53',
      'list-hosted-zones-by-name',
      '--dns-name',
      'prod.example.internal',
      '--max-items',
      '1',
    );
    expect(HostedZones[0]!.Name).toBe('prod.example.internal.');
    const zoneId = HostedZones[0]!.Id;
    const { ChangeInfo } = await aws<{ ChangeInfo: { Id: string } }>(
      'route53',
      'change-resource-record-sets',
      '--hosted-zone-id',
      zoneId,
      '--change-batch',
      JSON.stringify({
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: 'cache-myapp.prod.example.internal',
              Type: 'CNAME',
              TTL: 60,
              ResourceRecords: [{ Value: 'myapp.abc123.cache.amazonaws.com' }],
            },
          },
        ],
      }),
    );
    await aws('route53', 'wait', 'resource-record-sets-changed', '--id', ChangeInfo.Id);
    expect(await aws('route53', 'get-change', '--id', ChangeInfo.Id)).toMatchObject({
      ChangeInfo: { Status: 'INSYNC' },
    });
    const records = await aws<{ ResourceRecordSets: { Name: string; Type: string }[] }>(
      'route53',
      'list-resource-record-sets',
      '--hosted-zone-id',
      zoneId,
      '--page-size',
      '1',
    );
    expect(records.ResourceRecordSets.map((r) => `${r.Name} ${r.Type}`)).toEqual([
      'prod.example.internal. NS',
      'prod.example.internal. SOA',
      'cache-myapp.prod.example.internal. CNAME',
      'db-billing.prod.example.internal. A',
    ]);
    expect(
      await aws('route53', 'get-hosted-zone', '--id', zoneId, '--query', 'HostedZone.Config'),
    ).toMatchObject({ PrivateZone: true });
  }, 120_000);

  it('ec2 and rds: a restore into its own security group, opened by a tagged rule, then taken down', async () => {
    const { GroupId } = await aws<{ GroupId: string }>(
      'ec2',
      'create-security-group',
      '--group-name',
      'cli-restore',
      '--description',
      'a restored instance',
      '--tag-specifications',
      'ResourceType=security-group,Tags=[{Key=opsdeck:job-id,Value=cli-1}]',
    );
    const restored = await aws<{ DBInstance: { DBInstanceStatus: string } }>(
      'rds',
      'restore-db-instance-to-point-in-time',
      '--source-db-instance-identifier',
      'production',
      '--target-db-instance-identifier',
      'production-restore-cli',
      '--use-latest-restorable-time',
      '--vpc-security-group-ids',
      GroupId,
      '--no-publicly-accessible',
      '--tags',
      'Key=opsdeck:job-id,Value=cli-1',
    );
    expect(restored.DBInstance.DBInstanceStatus).toBe('creating');
    await aws(
      'rds',
      'wait',
      'db-instance-available',
      '--db-instance-identifier',
      'production-restore-cli',
    );
    const { DBInstances } = await aws<{
      DBInstances: { Endpoint: { Address: string; Port: number }; DBInstanceIdentifier: string }[];
    }>('rds', 'describe-db-instances', '--page-size', '20');
    expect(DBInstances.map((i) => i.DBInstanceIdentifier)).toEqual([
      'production',
      'production-restore-cli',
    ]);
    const endpoint = {
      host: DBInstances[1]!.Endpoint.Address,
      port: DBInstances[1]!.Endpoint.Port,
    };
    expect(endpoint.port).toBe(3306);
    expect(await probeEndpoint(endpoint)).toBe('silent');
    const opened = await aws<{ SecurityGroupRules: { SecurityGroupRuleId: string }[] }>(
      'ec2',
      'authorize-security-group-ingress',
      '--group-id',
      GroupId,
      '--protocol',
      'tcp',
      '--port',
      '3306',
      '--cidr',
      '127.0.0.1/32',
      '--tag-specifications',
      'ResourceType=security-group-rule,Tags=[{Key=opsdeck:job-id,Value=cli-1}]',
    );
    expect(await probeEndpoint(endpoint)).toBe('greeted');
    const rules = await aws<{ SecurityGroupRules: { SecurityGroupRuleId: string }[] }>(
      'ec2',
      'describe-security-group-rules',
      '--filters',
      'Name=tag:opsdeck:job-id,Values=cli-1',
      '--page-size',
      '5',
    );
    expect(rules.SecurityGroupRules.map((r) => r.SecurityGroupRuleId)).toEqual([
      opened.SecurityGroupRules[0]!.SecurityGroupRuleId,
    ]);
    const backups = await aws<{ DBInstanceAutomatedBackups: { RestoreWindow: object }[] }>(
      'rds',
      'describe-db-instance-automated-backups',
      '--db-instance-identifier',
      'production',
    );
    expect(backups.DBInstanceAutomatedBackups[0]!.RestoreWindow).toHaveProperty('LatestTime');
    await aws(
      'rds',
      'add-tags-to-resource',
      '--resource-name',
      'arn:aws:rds:us-east-1:000000000000:db:production-restore-cli',
      '--tags',
      'Key=opsdeck:keep,Value=cli',
    );
    expect(
      await aws(
        'rds',
        'list-tags-for-resource',
        '--resource-name',
        'arn:aws:rds:us-east-1:000000000000:db:production-restore-cli',
      ),
    ).toEqual({
      TagList: [
        { Key: 'opsdeck:job-id', Value: 'cli-1' },
        { Key: 'opsdeck:keep', Value: 'cli' },
      ],
    });
    await aws(
      'ec2',
      'revoke-security-group-ingress',
      '--group-id',
      GroupId,
      '--security-group-rule-ids',
      opened.SecurityGroupRules[0]!.SecurityGroupRuleId,
    );
    expect(await probeEndpoint(endpoint)).toBe('silent');
    await expect(aws('ec2', 'delete-security-group', '--group-id', GroupId)).rejects.toThrow(
      /DependencyViolation/,
    );
    await aws(
      'rds',
      'delete-db-instance',
      '--db-instance-identifier',
      'production-restore-cli',
      '--skip-final-snapshot',
      '--delete-automated-backups',
    );
    await aws(
      'rds',
      'wait',
      'db-instance-deleted',
      '--db-instance-identifier',
      'production-restore-cli',
    );
    await aws('ec2', 'delete-security-group', '--group-id', GroupId);
    const hosts = await aws<{ Reservations: { Instances: { PrivateIpAddress: string }[] }[] }>(
      'ec2',
      'describe-instances',
      '--filters',
      'Name=tag:app,Values=billing',
      'Name=instance-state-name,Values=running',
      '--page-size',
      '5',
    );
    expect(hosts.Reservations.flatMap((r) => r.Instances.map((i) => i.PrivateIpAddress))).toEqual([
      '127.0.1.2',
      '127.0.1.3',
      '127.0.1.4',
    ]);
  }, 240_000);
});
