import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as codebuild from '@aws-sdk/client-codebuild';
import * as codepipeline from '@aws-sdk/client-codepipeline';
import * as ec2 from '@aws-sdk/client-ec2';
import * as rds from '@aws-sdk/client-rds';
import * as route53 from '@aws-sdk/client-route-53';
import {
  AWS_COMMANDS,
  IAM_POLICIES,
  policyActions,
  policyText,
} from '../../../src/aws/iam-policies';
import { TAG } from '../../../src/aws/resource-tags';

/**
 * The documented IAM policies are the ones in code, name real API actions, and grant nothing the
 * code does not call. That no action the runbooks call is missing is checked where they run:
 * each command's end-to-end test against the sandbox, which records every call.
 */
const ROOT = join(__dirname, '../../..');
const SDK: Record<string, Record<string, unknown>> = { ec2, rds, route53, codebuild, codepipeline };
const PACKAGE_PREFIX: Record<string, string> = {
  '@aws-sdk/client-codebuild': 'codebuild',
  '@aws-sdk/client-codepipeline': 'codepipeline',
  '@aws-sdk/client-ec2': 'ec2',
  '@aws-sdk/client-rds': 'rds',
  '@aws-sdk/client-route-53': 'route53',
};
/** Allowed for what an action does on the side, never called by name. */
const IMPLIED = new Set([
  'ec2:CreateTags', // CreateSecurityGroup and AuthorizeSecurityGroupIngress with TagSpecifications
]);

function productFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

/** `ec2:AuthorizeSecurityGroupIngress` for every `new AuthorizeSecurityGroupIngressCommand(` in product code. */
function actionsCalledByCode(): Set<string> {
  const called = new Set<string>();
  for (const file of ['src', 'commands', 'jobs'].flatMap(productFiles)) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const [pkg, prefix] of Object.entries(PACKAGE_PREFIX)) {
      const imports = new RegExp(`import \\{([^}]*)\\} from '${pkg}'`).exec(text)?.[1] ?? '';
      for (const [, name] of imports.matchAll(/\b(\w+)Command\b/g)) {
        if (new RegExp(`new ${name}Command\\(`).test(text)) called.add(`${prefix}:${name}`);
      }
    }
  }
  return called;
}

describe('the IAM policies', () => {
  it.each(AWS_COMMANDS)('docs/iam/%s.json is the policy in code', (command) => {
    expect(readFileSync(join(ROOT, 'docs/iam', `${command}.json`), 'utf8')).toBe(
      policyText(command),
    );
  });

  it('has a document for each command and no other', () => {
    expect(readdirSync(join(ROOT, 'docs/iam')).sort()).toEqual(
      AWS_COMMANDS.map((command) => `${command}.json`).sort(),
    );
  });

  it('names only real API actions (the SDK has a command for each)', () => {
    for (const command of AWS_COMMANDS) {
      for (const action of policyActions(command)) {
        const [prefix, name] = action.split(':') as [string, string];
        expect([action, typeof SDK[prefix]?.[`${name}Command`]]).toEqual([action, 'function']);
      }
    }
  });

  it('grants no action the code never calls', () => {
    const called = actionsCalledByCode();
    expect(called.size).toBeGreaterThan(10);
    for (const command of AWS_COMMANDS) {
      const unused = policyActions(command).filter((a) => !called.has(a) && !IMPLIED.has(a));
      expect([command, unused]).toEqual([command, []]);
    }
  });

  it('allows every action the code calls in some policy (the e2e tests say which command)', () => {
    const allowed = new Set(AWS_COMMANDS.flatMap(policyActions));
    expect([...actionsCalledByCode()].filter((action) => !allowed.has(action))).toEqual([]);
  });

  it('allows deletes and revokes only on what opsdeck tagged, creates only with the tags', () => {
    for (const command of ['restore-table', 'seed-slave'] as const) {
      const statements = IAM_POLICIES[command].Statement;
      const deletes = statements.filter((s) => s.Action.includes('rds:DeleteDBInstance'));
      expect(deletes).toHaveLength(1);
      expect(deletes[0]!.Condition).toEqual({
        StringEquals: { [`aws:ResourceTag/${TAG.purpose}`]: command },
        Null: { [`aws:ResourceTag/${TAG.jobId}`]: 'false' },
      });
      const creates = statements.filter((s) =>
        s.Action.some((a) => /^rds:(Restore|Create)/.test(a)),
      );
      expect(creates.map((s) => s.Condition)).toEqual([
        {
          StringEquals: { [`aws:RequestTag/${TAG.purpose}`]: command },
          Null: { [`aws:RequestTag/${TAG.jobId}`]: 'false' },
        },
      ]);
      const revokeRules = statements.filter(
        (s) =>
          s.Action.includes('ec2:RevokeSecurityGroupIngress') &&
          String(s.Resource).includes('security-group-rule'),
      );
      expect(revokeRules.map((s) => s.Condition)).toEqual([
        { Null: { [`aws:ResourceTag/${TAG.jobId}`]: 'false' } },
      ]);
      // The job's own security group: created only tagged with the command's purpose and a job,
      // deleted only when it carries them, tagged only as it is created.
      const onGroups = (action: string) =>
        statements.filter(
          (s) => s.Action.includes(action) && String(s.Resource).endsWith(':security-group/*'),
        );
      expect(onGroups('ec2:CreateSecurityGroup').map((s) => s.Condition)).toEqual([
        {
          StringEquals: { [`aws:RequestTag/${TAG.purpose}`]: command },
          Null: { [`aws:RequestTag/${TAG.jobId}`]: 'false' },
        },
      ]);
      expect(onGroups('ec2:DeleteSecurityGroup').map((s) => s.Condition)).toEqual([
        {
          StringEquals: { [`aws:ResourceTag/${TAG.purpose}`]: command },
          Null: { [`aws:ResourceTag/${TAG.jobId}`]: 'false' },
        },
      ]);
      expect(onGroups('ec2:CreateTags').map((s) => s.Condition)).toEqual([
        {
          StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' },
          Null: { [`aws:RequestTag/${TAG.jobId}`]: 'false' },
        },
      ]);
    }
  });
});
