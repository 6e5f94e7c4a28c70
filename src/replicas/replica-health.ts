import { formatCoordinates } from '../mysql/binlog-coordinates';
import { MAX_BINLOG_RETENTION_HOURS } from '../mysql/binlog-source';
import {
  describeReplicaHealth,
  type ReplicaHealth,
  type ReplicaStatus,
} from '../mysql/replica-status';
import { describeFlavor } from '../mysql/server-flavor';
import { formatDuration } from '../util/duration';
import { computeMargin, type Margin } from './replica-margin';
import { isReadable, type ReplicaObservation } from './replica-observation';

/**
 * The health of a replica as the watch, `/seed-slave status`, `/ops replicas` and the gauges see
 * it: one evaluation of one observation (replica-observation.ts), with the incidents it opens.
 * Pure: the same observation always gives the same health.
 */

/** One incident per family at a time: a change of kind within a family is an update of it. */
export type IncidentFamily =
  'replica-unreachable' | 'replication' | 'lag' | 'margin' | 'writable' | 'source-unreachable';

export type IncidentKind =
  | 'replica-unreachable'
  | 'not-replicating'
  | 'stopped'
  | 'connecting'
  | 'broken'
  | 'binlog-gone'
  | 'lag'
  | 'margin'
  | 'writable'
  | 'source-unreachable';

export interface Incident {
  family: IncidentFamily;
  kind: IncidentKind;
  severity: 'error' | 'warning';
  /** One line: what is wrong. */
  title: string;
  /** Positions, error text with its time, retention, margin. */
  diagnostics: string[];
  /** What to do, with the exact commands. */
  actions: string[];
  /** What a thread update is decided by: the same signature is the same state (no new message). */
  signature: string;
  /** On a short margin: the command behind the *Raise retention* button. */
  raiseRetention?: string;
}

export interface WatchThresholds {
  lagSeconds: number;
  marginHours: number;
}

export interface ReplicaWatchHealth {
  replica: string;
  source: string;
  at: number;
  /** Null when the replica could not be read. */
  replication: ReplicaHealth | null;
  margin: Margin | null;
  /** Lines every view shows: threads, lag, errors, read_only, retention, binlogs, margin. */
  facts: string[];
  incidents: Incident[];
  gauges: {
    lagSeconds: number | null;
    threadsRunning: number | null;
    marginSeconds: number | null;
  };
}

export function raiseRetentionCommand(hours = MAX_BINLOG_RETENTION_HOURS): string {
  return `CALL mysql.rds_set_configuration('binlog retention hours', ${hours});`;
}

export function evaluateReplicaHealth(
  observation: ReplicaObservation,
  thresholds: WatchThresholds,
): ReplicaWatchHealth {
  const { replica, source, at } = observation;
  const reseed = `/seed-slave ${source} ${replica}`;
  const raiseRetention = `/seed-slave retention ${source} --hours ${MAX_BINLOG_RETENTION_HOURS}`;
  const facts: string[] = [];
  const incidents: Incident[] = [];
  let replication: ReplicaHealth | null = null;
  let margin: Margin | null = null;
  let lagSeconds: number | null = null;
  let threadsRunning: number | null = null;

  const server = observation.server;
  const status = isReadable(server) ? server.status : null;
  if (!isReadable(server)) {
    facts.push(`cannot read the replica: ${server.error}`);
    incidents.push({
      family: 'replica-unreachable',
      kind: 'replica-unreachable',
      severity: 'error',
      title: `${replica} cannot be reached: its replication cannot be checked`,
      diagnostics: [server.error],
      actions: [
        `check that ${replica} runs and admits opsdeck (host, port, TLS, the admin account's password)`,
      ],
      signature: 'replica-unreachable',
    });
  } else {
    replication = describeReplicaHealth(status, new Date(at));
    facts.push(`${describeFlavor(server.flavor)}: ${replication.summary}`);
    if (status) {
      facts.push(`read ${formatCoordinates(status.read)}`);
      threadsRunning = (status.ioRunning === 'Yes' ? 1 : 0) + (status.sqlRunning === 'Yes' ? 1 : 0);
      lagSeconds = status.secondsBehind;
    }
    if (replication.error) facts.push(replication.error);
    facts.push(
      `read_only ${server.readOnly ? 'ON' : 'OFF'}${server.superReadOnly === null ? '' : `, super_read_only ${server.superReadOnly ? 'ON' : 'OFF'}`}`,
    );
    const family = replicationIncident(replication, status);
    if (family) {
      const errno = status ? `${status.lastIoErrno}/${status.lastSqlErrno}` : '';
      incidents.push({
        family: 'replication',
        kind: family.kind,
        severity: 'error',
        title: `${replica}: ${family.title}`,
        diagnostics: [replication.summary, ...(replication.error ? [replication.error] : [])],
        actions: [
          ...(family.kind === 'binlog-gone' || family.kind === 'not-replicating'
            ? [`seed it again: \`${reseed}\``]
            : []),
          ...(replication.advice
            ? [replication.advice.replace(/<rds-source> <replica>/g, `${source} ${replica}`)]
            : []),
        ],
        signature: `${family.kind}:${errno}:${replication.error ?? ''}`,
      });
    }
    if (status && lagSeconds !== null && lagSeconds > thresholds.lagSeconds)
      incidents.push({
        family: 'lag',
        kind: 'lag',
        severity: 'warning',
        title: `${replica} is ${formatDuration(lagSeconds * 1000)} behind its source (threshold ${formatDuration(thresholds.lagSeconds * 1000)})`,
        diagnostics: [replication.summary, `read ${formatCoordinates(status.read)}`],
        actions: [
          `look for long transactions or a slow disk on ${replica}; the margin below says how long it can stay behind`,
        ],
        signature: 'lag',
      });
    if (!server.readOnly)
      incidents.push({
        family: 'writable',
        kind: 'writable',
        severity: 'warning',
        title: `${replica} accepts writes (read_only OFF): a write there breaks replication sooner or later`,
        diagnostics: [facts[facts.length - 1]!],
        actions: [
          `on ${replica}: \`SET GLOBAL read_only = ON;\`${server.superReadOnly === null ? '' : ' (and `SET GLOBAL super_read_only = ON;`)'}, and read_only=ON in its my.cnf`,
        ],
        signature: 'writable',
      });
  }

  const binlogs = observation.binlogs;
  if (!isReadable(binlogs)) {
    facts.push(`source ${source}: cannot read its binary logs: ${binlogs.error}`);
    incidents.push({
      family: 'source-unreachable',
      kind: 'source-unreachable',
      severity: 'error',
      title: `${replica}'s source ${source} cannot be reached: its binlog retention cannot be checked`,
      diagnostics: [binlogs.error],
      actions: [
        `check the source instance and that its security group admits opsdeck; \`/seed-slave status ${replica}\` shows more`,
      ],
      signature: 'source-unreachable',
    });
  } else {
    const oldest = binlogs.binlogs[0];
    facts.push(
      `source ${source} (${binlogs.instance}): retention ${binlogs.retentionKnown ? (binlogs.retentionHours === null ? 'NULL (purged as soon as possible)' : `${binlogs.retentionHours} h`) : 'not RDS'}, ${binlogs.binlogs.length} binary logs, oldest ${oldest ? oldest.name : 'none'}`,
    );
    if (status) {
      margin = computeMargin(status.executed.file || null, binlogs, at);
      facts.push(`margin: ${describeMargin(margin)}`);
      const short =
        margin.seconds !== null &&
        margin.seconds < thresholds.marginHours * 3600 &&
        replication?.state !== 'binlog-gone';
      if (short)
        incidents.push({
          family: 'margin',
          kind: 'margin',
          severity: 'warning',
          title:
            margin.seconds === 0
              ? `${replica} has no margin: ${margin.basis}`
              : `at this rate ${replica} is unrecoverable in about ${formatDuration(margin.seconds! * 1000)}: raise retention now`,
          diagnostics: [
            `needs ${margin.neededFile} on ${source} (executed ${formatCoordinates(status.executed)}); ${margin.basis}`,
            `threshold ${thresholds.marginHours} h`,
          ],
          actions: [
            `\`${raiseRetention}\` (the *Raise retention* button), or on ${source}: \`${raiseRetentionCommand()}\` (RDS keeps at most 168 h); then get ${replica} replicating`,
          ],
          signature: 'margin',
          // A margin is only told for an RDS source (replica-margin.ts): its retention is ours to raise.
          raiseRetention,
        });
    }
  }
  return {
    replica,
    source,
    at,
    replication,
    margin,
    facts,
    incidents,
    gauges: { lagSeconds, threadsRunning, marginSeconds: margin?.seconds ?? null },
  };
}

export function describeMargin(margin: Margin): string {
  if (margin.seconds === null) return `unknown (${margin.basis})`;
  return `${margin.atMost ? 'at most ' : ''}${formatDuration(margin.seconds * 1000)} before the source purges what the replica needs (${margin.basis})`;
}

function replicationIncident(
  health: ReplicaHealth,
  status: ReplicaStatus | null,
): { kind: IncidentKind; title: string } | undefined {
  const threads = status ? ` (IO thread ${status.ioRunning}, SQL thread ${status.sqlRunning})` : '';
  switch (health.state) {
    case 'not-a-replica':
      return {
        kind: 'not-replicating',
        title: 'is not configured as a replica: it does not replicate',
      };
    case 'stopped':
      return { kind: 'stopped', title: `replication stopped${threads}` };
    case 'broken':
      return { kind: 'broken', title: `replication failed${threads}` };
    case 'binlog-gone':
      return {
        kind: 'binlog-gone',
        title: 'error 1236: the source purged the binary log it needs; it needs a reseed',
      };
    case 'connecting':
      return health.error === undefined
        ? undefined
        : { kind: 'connecting', title: `replication cannot connect to its source${threads}` };
    case 'running':
      return undefined;
  }
}
