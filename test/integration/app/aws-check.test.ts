import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeSecurityGroupRulesCommand } from '@aws-sdk/client-ec2';
import { stringify } from 'yaml';
import { runCli } from '../../../src/app/cli';
import { AWS_COMMANDS, policyActions } from '../../../src/aws/iam-policies';
import { PROBES } from '../../../src/aws/permission-probes';
import { seedSandbox } from '../../../devkit/sandbox/seed';
import { startTestSandbox, type TestSandbox } from '../../helpers/sandbox';

/**
 * `opsdeck aws check` against the sandbox: one line per action the commands need, found out
 * with DryRun and reads only (nothing changes), MISSING for what the credentials may not do.
 */
const KEY = 'AKIAAWSCHECK00000000';
let t: TestSandbox;
let env: NodeJS.ProcessEnv;
let out: string[];

beforeAll(async () => {
  t = await startTestSandbox();
  await seedSandbox(t.clients, { big: false, caFile: t.sandbox.caFile });
  const file = join(mkdtempSync(join(tmpdir(), 'opsdeck-aws-check-')), 'opsdeck.yaml');
  writeFileSync(
    file,
    stringify({
      aws: {
        region: 'us-east-1',
        endpoint: t.sandbox.url,
        accessKeyIdEnv: 'CHECK_KEY',
        secretAccessKeyEnv: 'CHECK_SECRET',
      },
      databases: { billing: { instance: 'production', user: 'admin', passwordEnv: 'DB_PW' } },
      restoreTable: { workerCidr: '10.0.7.0/24' },
      phz: { defaultZone: 'prod.example.internal' },
    }),
  );
  env = { OPSDECK_CONFIG: file, CHECK_KEY: KEY, CHECK_SECRET: 'not-checked' };
}, 120_000);
afterAll(() => t.dispose());

beforeEach(() => {
  out = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  t.sandbox.access.allowAll();
});
afterEach(() => jest.restoreAllMocks());

const lineOf = (action: string) => out.find((line) => line.split(/\s+/)[1] === action);

it('has a probe for every action of every documented policy', () => {
  for (const command of AWS_COMMANDS) {
    for (const action of policyActions(command))
      expect([action, typeof PROBES[action]]).toEqual([action, 'function']);
  }
});

it('checks the commands the config sets up, one line per action, changing nothing', async () => {
  const rules = async () =>
    (await t.clients.ec2.send(new DescribeSecurityGroupRulesCommand({}))).SecurityGroupRules ?? [];
  const before = await rules();
  const callsBefore = t.sandbox.access.calls.length;
  expect(await runCli(['aws', 'check'], env)).toBe(0);
  const expected = [
    ...new Set([...policyActions('phz'), ...policyActions('restore-table')]),
  ].sort();
  expect(out.slice(0, -1).map((line) => line.split(/\s+/)[1])).toEqual(expected);
  expect(lineOf('ec2:AuthorizeSecurityGroupIngress')).toMatch(
    /^ok +ec2:AuthorizeSecurityGroupIngress +DryRun in sg-[0-9a-f]+, tagged as a job tags it \(\/restore-table\)$/,
  );
  expect(lineOf('rds:DescribeDBInstances')).toMatch(
    /^ok +rds:DescribeDBInstances +DescribeDBInstances of production \(\/restore-table\)$/,
  );
  expect(lineOf('route53:GetChange')).toMatch(
    /^ok +route53:GetChange +GetChange of an unknown change: NoSuchChange/,
  );
  expect(lineOf('rds:DeleteDBInstance')).toMatch(
    /^unchecked +rds:DeleteDBInstance +not checked: RDS has no DryRun/,
  );
  // The job's own security group: its create asked with DryRun (in the database's VPC when RDS
  // names one; the sandbox does not), tagged as /restore-table tags it; its delete is allowed
  // only on a job's group, so not asked.
  expect(lineOf('ec2:CreateSecurityGroup')).toMatch(
    /^ok +ec2:CreateSecurityGroup +DryRun(?: in vpc-[0-9a-f]+)?, tagged as a job tags it \(\/restore-table\)$/,
  );
  expect(lineOf('ec2:CreateTags')).toMatch(
    /^ok +ec2:CreateTags +with CreateSecurityGroup's DryRun/,
  );
  expect(lineOf('ec2:DescribeSecurityGroups')).toMatch(/^ok +ec2:DescribeSecurityGroups +DryRun/);
  expect(lineOf('ec2:DeleteSecurityGroup')).toMatch(
    /^unchecked +ec2:DeleteSecurityGroup +not checked: allowed only on a group a job created/,
  );
  expect(out.at(-1)).toMatch(
    /^\d+ allowed, 0 missing, 5 not checkable without a change, 0 errors \(\/phz, \/restore-table;/,
  );

  // Only reads and DryRuns, with the configured credentials; nothing in the cloud changed.
  const calls = t.sandbox.access.calls.slice(callsBefore);
  expect(calls.every((c) => c.accessKeyId === KEY)).toBe(true);
  for (const call of calls) {
    expect([call.action, call.dryRun || /:(Describe|List|Get)/.test(call.action)]).toEqual([
      call.action,
      true,
    ]);
  }
  expect(await rules()).toEqual(before);
});

it('says MISSING, with AWS answer, for each permission the credentials lack, exit code 1', async () => {
  t.sandbox.access.deny(
    [
      'rds:DescribeDBInstanceAutomatedBackups',
      'ec2:DescribeInstances',
      'ec2:RevokeSecurityGroupIngress',
      'ec2:CreateSecurityGroup',
      'route53:GetChange',
    ],
    KEY,
  );
  expect(await runCli(['aws', 'check', '--all'], env)).toBe(1);
  expect(lineOf('rds:DescribeDBInstanceAutomatedBackups')).toMatch(
    /^MISSING +rds:DescribeDBInstanceAutomatedBackups .*AccessDenied: User: .* is not authorized to perform: rds:DescribeDBInstanceAutomatedBackups \(\/restore-table\)$/,
  );
  expect(lineOf('ec2:DescribeInstances')).toMatch(
    /^MISSING +ec2:DescribeInstances +DryRun: UnauthorizedOperation.* \(\/deploy\)$/,
  );
  expect(lineOf('ec2:RevokeSecurityGroupIngress')).toMatch(
    /^MISSING +ec2:RevokeSecurityGroupIngress .*UnauthorizedOperation.*\(\/restore-table, \/seed-slave\)$/,
  );
  expect(lineOf('route53:GetChange')).toMatch(/^MISSING +route53:GetChange .*AccessDenied/);
  // Asked for each command (each tags the group with its own purpose); the first refused says so.
  expect(lineOf('ec2:CreateSecurityGroup')).toMatch(
    /^MISSING +ec2:CreateSecurityGroup +DryRun(?: in vpc-[0-9a-f]+)?, tagged as a job tags it for \/restore-table: UnauthorizedOperation.*\(\/restore-table, \/seed-slave\)$/,
  );
  // Tagging a group is asked with the group's create: refused with it.
  expect(lineOf('ec2:CreateTags')).toMatch(
    /^MISSING +ec2:CreateTags +with CreateSecurityGroup's DryRun.*UnauthorizedOperation/,
  );
  expect(lineOf('ec2:AuthorizeSecurityGroupIngress')).toMatch(/^ok /);
  expect(out.at(-1)).toMatch(/ 6 missing, .*\(\/phz, \/restore-table, \/seed-slave, \/deploy;/);
});

it('checks only the commands named, and prints each policy', async () => {
  expect(await runCli(['aws', 'check', 'deploy'], env)).toBe(0);
  expect(out.slice(0, -1).map((line) => line.split(/\s+/)[1])).toEqual([
    'codebuild:BatchGetBuilds',
    'codebuild:StartBuild',
    'codebuild:StopBuild',
    'codepipeline:GetPipelineExecution',
    'codepipeline:ListActionExecutions',
    'codepipeline:StartPipelineExecution',
    'codepipeline:StopPipelineExecution',
    'ec2:DescribeInstances',
  ]);
  // Reads are asked about things nobody has (allowed: not found); starts and stops are not asked.
  for (const read of [
    'codebuild:BatchGetBuilds',
    'codepipeline:GetPipelineExecution',
    'codepipeline:ListActionExecutions',
  ])
    expect(lineOf(read)).toMatch(/^ok /);
  expect(lineOf('codebuild:StartBuild')).toMatch(/no DryRun, and the call would start or stop/);
  const written: string[] = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  expect(await runCli(['aws', 'policy', 'seed-slave'], env)).toBe(0);
  expect(JSON.parse(written.join(''))).toMatchObject({ Version: '2012-10-17' });
  expect(await runCli(['aws', 'policy', 'nonsense'], env)).toBe(2);
});
