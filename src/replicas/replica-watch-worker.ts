import { Queue, Worker } from 'bullmq';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { ReplicaWatchConfig, WatchSchedule } from '../config/replica-watch';
import type { Logger } from '../log/logger';
import { replicaChecks } from '../metrics/metrics';
import type { DatabaseAccess } from '../mysql/database-access';
import type { MessageSink } from '../notify/message-sink';
import { QueueName } from '../queue/queue-names';
import { syncJobSchedulers } from '../queue/sync-job-schedulers';
import type { RedisClient } from '../util/redis-client';
import { BinlogClock } from './binlog-clock';
import { checkReplica } from './check-replica';
import { HealthSnapshots } from './health-snapshots';
import { IncidentStore, MuteStore } from './incident-store';
import { recordReplicaGauges } from './replica-gauges';
import { relayReplicaIncidents, type RelayedCounts } from './relay-replica-incidents';

export const CHECK_JOB = 'check';
const SCHEDULER_PREFIX = 'replica:';

export interface CheckJobData {
  replica: string;
}

export interface ReplicaWatchOptions {
  /** Needs `maxRetriesPerRequest: null` (BullMQ). */
  connection: RedisClient;
  prefix: string;
  schedules: readonly WatchSchedule[];
  config: ReplicaWatchConfig;
  channel: string;
  databases: DatabaseAccess;
  rds: RDSClient;
  sink: MessageSink;
  logger: Logger;
}

export interface ReplicaWatch {
  queue: Queue<CheckJobData>;
  worker: Worker<CheckJobData, RelayedCounts> | null;
  close(): Promise<void>;
}

/**
 * One job scheduler per watched replica (`replica:<name>`, every `intervalMs` at its own offset;
 * see syncJobSchedulers): the config is the truth, schedulers of replicas no longer watched are
 * removed.
 */
export async function syncWatchSchedulers(
  queue: Queue<CheckJobData>,
  schedules: readonly WatchSchedule[],
): Promise<void> {
  await syncJobSchedulers(
    queue,
    SCHEDULER_PREFIX,
    CHECK_JOB,
    schedules.map((schedule) => ({
      id: schedule.replica,
      everyMs: schedule.intervalMs,
      offsetMs: schedule.offsetMs,
      data: { replica: schedule.replica },
    })),
  );
}

/**
 * The replica watch of one worker process: the schedulers in line with the config, and a worker on
 * the `replicas` queue checking one replica per job (check-replica.ts), its alerts settled in
 * Redis (relay-replica-incidents.ts) so any number of workers may run it.
 */
export async function startReplicaWatch(options: ReplicaWatchOptions): Promise<ReplicaWatch> {
  const { connection, prefix, schedules, config, logger } = options;
  const queue = new Queue<CheckJobData>(QueueName.Replicas, { connection, prefix });
  await syncWatchSchedulers(queue, schedules);
  if (schedules.length === 0) return { queue, worker: null, close: () => queue.close() };

  const watched = new Set(schedules.map((s) => s.replica));
  const store = new IncidentStore(connection, prefix);
  const snapshots = new HealthSnapshots(connection, prefix);
  const mutes = new MuteStore(connection, prefix);
  const probe = {
    databases: options.databases,
    rds: options.rds,
    clock: new BinlogClock(connection, prefix),
    connectTimeoutMs: config.connectTimeoutMs,
  };
  const worker = new Worker<CheckJobData, RelayedCounts>(
    QueueName.Replicas,
    async (job) => {
      if (job.name !== CHECK_JOB || !watched.has(job.data.replica)) {
        logger.warn(
          { job: job.name, replica: job.data.replica },
          'check of an unwatched replica skipped',
        );
        return { opened: 0, updated: 0, closed: 0 };
      }
      const health = await checkReplica(job.data.replica, probe, config);
      recordReplicaGauges(health);
      await snapshots.save(health);
      replicaChecks.inc({
        replica: health.replica,
        outcome: health.incidents.length === 0 ? 'healthy' : 'incidents',
      });
      return relayReplicaIncidents(health, {
        store,
        mutes,
        escalate: config.escalate,
        sink: options.sink,
        channel: options.channel,
      });
    },
    { connection, prefix, concurrency: 4 },
  );
  worker.on('failed', (job, error) => {
    replicaChecks.inc({ replica: job?.data.replica ?? 'unknown', outcome: 'failed' });
    logger.error({ err: error, replica: job?.data.replica }, 'replica check failed');
  });
  worker.on('error', (error) => logger.error({ err: error }, 'replica watch worker error'));
  logger.info({ replicas: schedules.length }, 'replica watch started');
  return {
    queue,
    worker,
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
