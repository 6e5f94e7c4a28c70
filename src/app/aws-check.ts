import { createAwsClients } from '../aws/clients';
import { AWS_COMMANDS, policyActions, type AwsCommand } from '../aws/iam-policies';
import { PermissionProbe, type ProbeResult, type ProbeTargets } from '../aws/permission-probes';
import type { OpsdeckConfig } from '../config/schema';
import { configuredZones } from '../config/phz';

/**
 * `opsdeck aws check`: which permissions the configured AWS credentials lack, one line per
 * action the commands in use need (docs/iam/<command>.json), each found out without changing
 * anything (see src/aws/permission-probes.ts).
 */

/** The commands that call AWS and that this config sets up. */
export function awsCommandsInUse(config: OpsdeckConfig): AwsCommand[] {
  const deployOnEc2 = Object.values(config.deploy?.apps ?? {}).some((app) =>
    Object.values(app.environments).some((env) => 'ec2' in env.targets),
  );
  const inUse: Record<AwsCommand, boolean> = {
    phz: configuredZones(config.phz).length > 0,
    'restore-table': Object.keys(config.databases).length > 0,
    'seed-slave': Object.keys(config.replicas).length > 0,
    deploy: deployOnEc2,
  };
  return AWS_COMMANDS.filter((command) => inUse[command]);
}

/** What the probes act on, from the config: its first database, the workers, its first zone. */
export function probeTargets(config: OpsdeckConfig): ProbeTargets {
  const database = Object.values(config.databases)[0];
  const { workerCidr, workerSecurityGroupId } = config.restoreTable;
  const zone = configuredZones(config.phz)[0];
  return {
    ...(database && { instance: database.instance }),
    ...(workerCidr !== undefined
      ? { workerSource: { cidr: workerCidr } }
      : workerSecurityGroupId !== undefined
        ? { workerSource: { securityGroupId: workerSecurityGroupId } }
        : {}),
    ...(zone !== undefined && { zone }),
  };
}

export interface AwsCheckLine {
  action: string;
  commands: AwsCommand[];
  result: ProbeResult;
}

const STATUS_WORD: Record<ProbeResult['status'], string> = {
  allowed: 'ok',
  missing: 'MISSING',
  'not-checked': 'unchecked',
  error: 'ERROR',
};

export function formatAwsCheckLine({ action, commands, result }: AwsCheckLine): string {
  const detail = result.detail === undefined ? '' : `: ${result.detail}`;
  return `${STATUS_WORD[result.status].padEnd(9)} ${action.padEnd(38)} ${result.how}${detail} (${commands.map((c) => `/${c}`).join(', ')})`;
}

/** Probes every action of `commands`, one result per action (each once, with who needs it). */
export async function checkAwsPermissions(
  config: OpsdeckConfig,
  commands: readonly AwsCommand[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<AwsCheckLine[]> {
  const needs = new Map<string, AwsCommand[]>();
  for (const command of commands) {
    for (const action of policyActions(command))
      needs.set(action, [...(needs.get(action) ?? []), command]);
  }
  const aws = createAwsClients(config.aws, env);
  try {
    const probe = new PermissionProbe(aws, probeTargets(config));
    const actions = [...needs.keys()].sort();
    const results = await Promise.all(
      actions.map((action) => probe.check(action, needs.get(action)!)),
    );
    return actions.map((action, i) => ({
      action,
      commands: needs.get(action)!,
      result: results[i]!,
    }));
  } finally {
    aws.rds.destroy();
    aws.ec2.destroy();
    aws.route53.destroy();
    aws.s3.destroy();
  }
}
