import { UsageError } from '../errors';

/**
 * What a worker process runs. `runbooks`: runbook jobs (their cancels, the audit spool, the
 * leftover sweep); `feeds`: the status feed relay and the replica watch (src/replicas); `all`:
 * both. Every role drains the Slack outbox, so messages flow while any worker runs. A document a
 * feed sends is parsed in a process of its own in any role (src/feeds/parse-process.ts); a feeds
 * worker of its own adds that the relay's memory, CPU or crash (its Redis traffic, its HTTP
 * fetches) never touches a runbook's.
 */
export const WORKER_ROLES = ['runbooks', 'feeds', 'all'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

export const WORKER_USAGE = 'usage: opsdeck worker [--role runbooks|feeds|all]';

/**
 * The role given by `--role <role>` (or `--role=<role>`); undefined without one: the worker then
 * runs the runbooks itself and the feeds in a child process (feeds-process.ts).
 */
export function roleArgument(argv: readonly string[]): WorkerRole | undefined {
  const [flag, value, ...rest] = argv[0]?.startsWith('--role=')
    ? ['--role', argv[0].slice('--role='.length), ...argv.slice(1)]
    : argv;
  if (flag === undefined) return undefined;
  if (flag !== '--role' || rest.length > 0)
    throw new UsageError(`unexpected arguments: ${argv.join(' ')}`, WORKER_USAGE);
  if (!(WORKER_ROLES as readonly (string | undefined)[]).includes(value))
    throw new UsageError(
      `--role must be one of ${WORKER_ROLES.join(', ')}, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`,
      WORKER_USAGE,
    );
  return value as WorkerRole;
}

export function runsRunbooks(role: WorkerRole): boolean {
  return role !== 'feeds';
}

export function runsFeeds(role: WorkerRole): boolean {
  return role !== 'runbooks';
}
