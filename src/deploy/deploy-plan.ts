import { renderCommand } from '../config/command-template';
import type { DeployEnvironment } from '../config/deploy';
import { formatDuration } from '../util/duration';

/**
 * What a deploy of an app+env at a ref will run, rendered for the plan (the approval message and
 * `--dry-run`): every host's exact command, `pre` and `post`, and the rollout in words.
 */
export interface DeployFacts {
  /** Each host's command as it will run (displayed), in the hosts' order. */
  commands: string[];
  pre?: string;
  post?: string;
  rollout: string;
}

export interface PlannedDeploy {
  app: string;
  env: string;
  ref: string;
  hosts: readonly string[];
}

export function deployFacts(settings: DeployEnvironment, deploy: PlannedDeploy): DeployFacts {
  const values = { app: deploy.app, env: deploy.env, ref: deploy.ref };
  const pre = settings.pre && renderCommand(settings.pre, values).display;
  const post = settings.post && renderCommand(settings.post, values).display;
  return {
    commands: deploy.hosts.map(
      (host) => renderCommand(settings.command, { ...values, host }).display,
    ),
    ...(pre !== undefined && { pre }),
    ...(post !== undefined && { post }),
    rollout: `${settings.concurrency} host${settings.concurrency === 1 ? '' : 's'} at a time${settings.batchPauseSeconds ? ` in batches, ${settings.batchPauseSeconds} s apart` : ''}; no new host after ${settings.failureThreshold} failed; each stopped after ${formatDuration(settings.hostTimeoutSeconds * 1000)}`,
  };
}
