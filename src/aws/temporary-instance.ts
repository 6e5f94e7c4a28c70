import {
  AddTagsToResourceCommand,
  CreateDBInstanceReadReplicaCommand,
  DeleteDBInstanceCommand,
  RestoreDBInstanceToPointInTimeCommand,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { ErrorCode, OpsdeckError } from '../errors';
import { describeInstance } from './rds-instance';
import { TAG, jobTags, tagValue, type JobTags } from './resource-tags';
import { sleep } from '../util/sleep';

/**
 * A temporary RDS instance owned by one job (a point-in-time restore or a read replica): named
 * after its source and the job, tagged with the job, created at most once (look before create;
 * "already exists" with our tag is ours), waited for with an explicit maximum, deleted without a
 * final snapshot or automated backups.
 */

const JOB_HEX = /([0-9a-f]{10})$/;
const PURPOSE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** `<source>-<purpose>-<10 hex of the job id>`: valid as an identifier (1-63, no `--`, no trailing `-`). */
export function temporaryInstanceName(source: string, purpose: string, jobId: string): string {
  const hex = JOB_HEX.exec(jobId)?.[1];
  if (hex === undefined) throw new Error(`job id without its 10 hex digits: ${jobId}`);
  const suffix = `-${purpose}-${hex}`;
  // A purpose outside a-z/0-9 single-hyphen words, or too long to leave room for one character of
  // the source, would give an invalid identifier (`--`, a leading `-`, or over 63 characters).
  if (!PURPOSE.test(purpose) || suffix.length > 62)
    throw new Error(`purpose not usable in an instance name: ${JSON.stringify(purpose)}`);
  const head = source
    .toLowerCase()
    .slice(0, 63 - suffix.length)
    .replace(/(?<!-)-+$/, '');
  return `${head}${suffix}`;
}

/** Whether the instance carries this job's tag (it is ours to reuse and delete). */
export function ownedBy(instance: DBInstance, jobId: string): boolean {
  return tagValue(instance.TagList, TAG.jobId) === jobId;
}

/** Tags the instance `opsdeck:keep` (kept as its requester asked): the sweep reports it, never deletes it. */
export async function tagKept(
  rds: RDSClient,
  instance: DBInstance,
  keptFor: string,
): Promise<void> {
  await rds.send(
    new AddTagsToResourceCommand({
      ResourceName: instance.DBInstanceArn,
      Tags: [{ Key: TAG.keep, Value: keptFor }],
    }),
  );
}

export interface PointInTimeRestore {
  source: DBInstance;
  name: string;
  at: Date;
  tags: JobTags;
  instanceClass?: string | undefined;
  securityGroupIds: readonly string[];
}

/** Starts the restore unless this job's instance exists already; returns it as RDS describes it. */
export async function startPointInTimeRestore(
  rds: RDSClient,
  restore: PointInTimeRestore,
  signal?: AbortSignal,
): Promise<{ instance: DBInstance; created: boolean }> {
  return createOnce(rds, restore, signal, async () => {
    const { DBInstance: instance } = await rds.send(
      new RestoreDBInstanceToPointInTimeCommand({
        SourceDBInstanceIdentifier: restore.source.DBInstanceIdentifier,
        TargetDBInstanceIdentifier: restore.name,
        RestoreTime: restore.at,
        DBSubnetGroupName: restore.source.DBSubnetGroup?.DBSubnetGroupName,
        ...(restore.securityGroupIds.length > 0 && {
          VpcSecurityGroupIds: [...restore.securityGroupIds],
        }),
        DBInstanceClass: restore.instanceClass ?? restore.source.DBInstanceClass,
        PubliclyAccessible: false,
        DeletionProtection: false,
        MultiAZ: false,
        CopyTagsToSnapshot: false,
        Tags: jobTags(restore.tags),
      }),
      { abortSignal: signal },
    );
    return instance!;
  });
}

export interface ReadReplicaRequest {
  source: DBInstance;
  name: string;
  tags: JobTags;
  instanceClass?: string | undefined;
  /** Its security groups (without: the VPC's default group, as RDS documents it). */
  securityGroupIds: readonly string[];
}

/**
 * Starts a read replica of the source unless this job's exists already, in the source's subnet
 * group (RDS's default for a replica in the same region) and the groups asked for.
 */
export async function startReadReplica(
  rds: RDSClient,
  request: ReadReplicaRequest,
  signal?: AbortSignal,
): Promise<{ instance: DBInstance; created: boolean }> {
  return createOnce(rds, request, signal, async () => {
    const { DBInstance: instance } = await rds.send(
      new CreateDBInstanceReadReplicaCommand({
        SourceDBInstanceIdentifier: request.source.DBInstanceIdentifier,
        DBInstanceIdentifier: request.name,
        DBInstanceClass: request.instanceClass ?? request.source.DBInstanceClass,
        ...(request.securityGroupIds.length > 0 && {
          VpcSecurityGroupIds: [...request.securityGroupIds],
        }),
        PubliclyAccessible: false,
        DeletionProtection: false,
        MultiAZ: false,
        CopyTagsToSnapshot: false,
        Tags: jobTags(request.tags),
      }),
      { abortSignal: signal },
    );
    return instance!;
  });
}

/**
 * Creates the job's instance `name` with `create` unless it exists already: an existing one (or
 * one that appeared between the look and the call) is taken if it carries this job's tag, and
 * refused (ResourceConflict) if not. A retried or resumed step never creates a second one.
 */
async function createOnce(
  rds: RDSClient,
  request: { name: string; tags: JobTags },
  signal: AbortSignal | undefined,
  create: () => Promise<DBInstance>,
): Promise<{ instance: DBInstance; created: boolean }> {
  const existing = await describeInstance(rds, request.name, signal);
  if (existing) return { instance: claim(existing, request), created: false };
  try {
    return { instance: await create(), created: true };
  } catch (error) {
    if ((error as Error).name !== 'DBInstanceAlreadyExistsFault') throw error;
    const raced = await describeInstance(rds, request.name, signal);
    if (!raced) throw error;
    return { instance: claim(raced, request), created: false };
  }
}

function claim(instance: DBInstance, request: { name: string; tags: JobTags }): DBInstance {
  if (!ownedBy(instance, request.tags.jobId)) {
    throw new OpsdeckError(
      ErrorCode.ResourceConflict,
      `an instance named ${request.name} exists and is not this job's (tag ${TAG.jobId} is ${tagValue(instance.TagList, TAG.jobId) ?? 'missing'}); nothing was created`,
    );
  }
  return instance;
}

/** RDS statuses from which an instance never becomes available by itself. */
const DEAD_END = new Set([
  'deleting',
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'inaccessible-encryption-credentials',
  'restore-error',
  'storage-full',
]);

export interface WaitOptions {
  /** The wait started here (it survives a resumed job: pass the recorded start). */
  startedAt: number;
  maxWaitMs: number;
  pollMs: number;
  signal?: AbortSignal;
  /** Called after every look, with the status and the time waited so far. */
  onPoll?: (status: string, waitedMs: number) => void | Promise<void>;
}

/** Waits until the instance is `available`; fails at once on a dead-end status, or at the deadline. */
export async function waitUntilAvailable(
  rds: RDSClient,
  name: string,
  options: WaitOptions,
): Promise<DBInstance> {
  for (;;) {
    const instance = await describeInstance(rds, name, options.signal);
    const status = instance?.DBInstanceStatus ?? 'gone';
    const waited = Date.now() - options.startedAt;
    if (instance && status === 'available') return instance;
    if (!instance || DEAD_END.has(status)) {
      throw new OpsdeckError(
        ErrorCode.RdsInstanceUnusable,
        `instance ${name} is ${status}; it will not become available`,
      );
    }
    if (waited >= options.maxWaitMs) {
      throw new OpsdeckError(
        ErrorCode.RdsWaitTimeout,
        `instance ${name} is still ${status} after ${Math.round(waited / 60_000)} min (the configured maximum wait)`,
      );
    }
    await options.onPoll?.(status, waited);
    await sleep(Math.min(options.pollMs, options.maxWaitMs - waited), options.signal);
  }
}

/**
 * Deletes the instance (no final snapshot, automated backups deleted) and waits until RDS no
 * longer knows it. Gone already, or being deleted, is fine: running this twice is harmless.
 */
export async function deleteAndWaitGone(
  rds: RDSClient,
  name: string,
  options: WaitOptions,
): Promise<void> {
  try {
    await rds.send(
      new DeleteDBInstanceCommand({
        DBInstanceIdentifier: name,
        SkipFinalSnapshot: true,
        DeleteAutomatedBackups: true,
      }),
      { abortSignal: options.signal },
    );
  } catch (error) {
    const { name: code, message } = error as Error;
    const deleting =
      code === 'InvalidDBInstanceStateFault' && /already being deleted/i.test(message);
    if (code !== 'DBInstanceNotFoundFault' && !deleting) throw error;
  }
  for (;;) {
    const instance = await describeInstance(rds, name, options.signal);
    if (!instance) return;
    const waited = Date.now() - options.startedAt;
    if (waited >= options.maxWaitMs) {
      throw new OpsdeckError(
        ErrorCode.RdsWaitTimeout,
        `instance ${name} is still ${instance.DBInstanceStatus} ${Math.round(waited / 1000)} s after its deletion was asked for`,
      );
    }
    await options.onPoll?.(instance.DBInstanceStatus ?? 'unknown', waited);
    await sleep(Math.min(options.pollMs, options.maxWaitMs - waited), options.signal);
  }
}
