import { renderCommand } from '../config/command-template';
import {
  canaryCount,
  hostCommand,
  isPipelineTarget,
  renderHealthUrl,
  type DeployEnvironment,
} from '../config/deploy';
import type { Mrkdwn } from '../slack/mrkdwn';
import { formatDuration } from '../util/duration';
import { describePipelineStart } from './pipeline-start';

/**
 * What a deploy of an app+env at a ref will run, rendered for the plan (the approval message and
 * `--dry-run`): every host's exact command, `pre` and `post`, the rollout in words, and what the
 * hosts run now against what they will run.
 */
export interface DeployFacts {
  /** Each host's command as it will run (displayed), in the hosts' order. */
  commands: string[];
  pre?: string;
  post?: string;
  rollout: string;
  /** What the hosts run now and what they will run (deploy-transition.ts): `v1.4.1 → v1.4.2`. */
  transition: Mrkdwn;
  /** A pipeline target: what will be started (no command runs per host). */
  pipeline?: Mrkdwn;
}

export interface PlannedDeploy {
  app: string;
  env: string;
  ref: string;
  hosts: readonly string[];
}

export function deployFacts(
  settings: DeployEnvironment,
  deploy: PlannedDeploy,
  transition: Mrkdwn,
): DeployFacts {
  const values = { app: deploy.app, env: deploy.env, ref: deploy.ref };
  if (isPipelineTarget(settings.targets)) {
    const unit = 'codebuild' in settings.targets ? 'phase' : 'stage';
    return {
      commands: [],
      transition,
      pipeline: describePipelineStart(settings.targets, values),
      rollout: `one run, followed until it ends: each ${unit} posted as it ends, with its status and duration; a failed ${unit} fails the deploy; a cancel stops the run`,
    };
  }
  const pre = settings.pre && renderCommand(settings.pre, values).display;
  const post = settings.post && renderCommand(settings.post, values).display;
  const canary = canaryCount(settings.canary, deploy.hosts.length);
  const check = settings.healthCheck;
  const first = deploy.hosts[0] ?? '{host}';
  const health =
    check &&
    `${'command' in check ? renderCommand(check.command, { ...values, host: first }).display : `GET ${renderHealthUrl(check.url, { ...values, host: first })} answers 2xx`} (each attempt ${check.timeoutSeconds} s at most, ${check.retries} retr${check.retries === 1 ? 'y' : 'ies'} ${check.retryDelaySeconds} s apart)`;
  return {
    commands: deploy.hosts.map(
      (host) => renderCommand(hostCommand(settings), { ...values, host }).display,
    ),
    ...(pre !== undefined && { pre }),
    ...(post !== undefined && { post }),
    transition,
    rollout: [
      ...(canary > 0
        ? [
            `canary: ${deploy.hosts.slice(0, canary).join(', ')} alone first (any failing stops the rollout)${settings.canaryPauseSeconds > 0 ? `, then a pause of ${formatDuration(settings.canaryPauseSeconds * 1000)}` : ''}`,
          ]
        : []),
      `${settings.concurrency} host${settings.concurrency === 1 ? '' : 's'} at a time${settings.batchPauseSeconds ? ` in batches, ${settings.batchPauseSeconds} s apart` : ''}; no new host after ${settings.failureThreshold} failed; each stopped after ${formatDuration(settings.hostTimeoutSeconds * 1000)}`,
      ...(health ? [`health check after each host: ${health}`] : []),
      ...(settings.autoRollback
        ? ['on failure, the hosts done get again the ref they ran before (auto-rollback)']
        : []),
    ].join('; '),
  };
}
