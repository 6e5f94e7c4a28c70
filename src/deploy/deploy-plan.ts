import { renderCommand } from '../config/command-template';
import type { DeployEnvironment } from '../config/deploy';
import type { Mrkdwn } from '../slack/mrkdwn';
import { formatDuration } from '../util/duration';

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
  const pre = settings.pre && renderCommand(settings.pre, values).display;
  const post = settings.post && renderCommand(settings.post, values).display;
  return {
    commands: deploy.hosts.map(
      (host) => renderCommand(settings.command, { ...values, host }).display,
    ),
    ...(pre !== undefined && { pre }),
    ...(post !== undefined && { post }),
    transition,
    rollout: `${settings.concurrency} host${settings.concurrency === 1 ? '' : 's'} at a time${settings.batchPauseSeconds ? ` in batches, ${settings.batchPauseSeconds} s apart` : ''}; no new host after ${settings.failureThreshold} failed; each stopped after ${formatDuration(settings.hostTimeoutSeconds * 1000)}`,
  };
}
