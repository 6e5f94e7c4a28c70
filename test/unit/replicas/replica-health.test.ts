import { normaliseReplicaStatus } from '../../../src/mysql/replica-status';
import { parseServerFlavor } from '../../../src/mysql/server-flavor';
import { evaluateReplicaHealth, raiseRetentionCommand } from '../../../src/replicas/replica-health';
import type { ReplicaObservation } from '../../../src/replicas/replica-observation';
import { MYSQL_8_4 } from '../../fixtures/mysql/documented-output';
import {
  MARIADB_10_11_SLAVE_STATUS,
  MYSQL_5_7_SLAVE_STATUS,
} from '../../fixtures/mysql/replica-status-rows';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const THRESHOLDS = { lagSeconds: 300, marginHours: 24 };
const MYSQL = parseServerFlavor(MYSQL_8_4.version);
const MARIADB = parseServerFlavor('10.11.19-MariaDB-0+deb12u1');

function observe(
  row: Record<string, unknown> | null,
  options: {
    flavor?: typeof MYSQL;
    readOnly?: boolean;
    logs?: string[];
    retentionHours?: number | null;
    closedHoursAgo?: Record<string, number>;
  } = {},
): ReplicaObservation {
  const logs = options.logs ?? ['master-bin.000001', 'master-bin.000002'];
  return {
    replica: 'onprem',
    source: 'billing',
    at: NOW,
    server: {
      flavor: options.flavor ?? MYSQL,
      status: row === null ? null : normaliseReplicaStatus(row),
      readOnly: options.readOnly ?? true,
      superReadOnly: (options.flavor ?? MYSQL).product === 'mysql' ? true : null,
    },
    binlogs: {
      instance: 'production',
      retentionHours: options.retentionHours === undefined ? 168 : options.retentionHours,
      retentionKnown: true,
      binlogs: logs.map((name) => ({ name, size: 1000 })),
      closedAt: Object.fromEntries(
        Object.entries(options.closedHoursAgo ?? {}).map(([name, hours]) => [
          name,
          { at: NOW - hours * HOUR, exact: true },
        ]),
      ),
    },
  };
}

const kinds = (observation: ReplicaObservation) =>
  evaluateReplicaHealth(observation, THRESHOLDS).incidents.map((incident) => incident.kind);

describe('evaluateReplicaHealth', () => {
  it('MySQL 8.4, running and caught up, read-only, ample retention: healthy, gauges set', () => {
    const health = evaluateReplicaHealth(
      observe(MYSQL_8_4.replicaStatus, { closedHoursAgo: { 'master-bin.000001': 1 } }),
      THRESHOLDS,
    );
    expect(health.incidents).toEqual([]);
    expect(health.gauges).toEqual({ lagSeconds: 0, threadsRunning: 2, marginSeconds: 167 * 3600 });
    expect(health.facts.join('\n')).toContain('MySQL 8.4.6: IO Yes, SQL Yes, 0 s behind');
    expect(health.facts.join('\n')).toContain('read_only ON, super_read_only ON');
  });

  it('MySQL 8.4 with the IO thread stopped: replication stopped, naming the thread', () => {
    const [incident, ...rest] = evaluateReplicaHealth(
      observe({ ...MYSQL_8_4.replicaStatus, Replica_IO_Running: 'No' }),
      THRESHOLDS,
    ).incidents;
    expect(rest).toEqual([]);
    expect(incident).toMatchObject({
      family: 'replication',
      kind: 'stopped',
      severity: 'error',
      title: 'onprem: replication stopped (IO thread No, SQL thread Yes)',
    });
    expect(incident!.actions.join(' ')).toContain('START REPLICA');
  });

  it('error 1236 after a purge: binlog-gone with the reseed command, no separate margin incident', () => {
    const health = evaluateReplicaHealth(
      observe(MYSQL_5_7_SLAVE_STATUS, {
        flavor: parseServerFlavor('5.7.44'),
        logs: ['mysql-bin.000200'],
      }),
      THRESHOLDS,
    );
    expect(health.incidents.map((i) => i.kind)).toEqual(['binlog-gone']);
    expect(health.incidents[0]!.actions[0]).toBe('seed it again: `/seed-slave billing onprem`');
    expect(health.incidents[0]!.diagnostics.join(' ')).toContain('IO error 1236');
    expect(health.gauges.marginSeconds).toBe(0);
  });

  it('MariaDB with the SQL thread failed: broken, the error with its number', () => {
    const health = evaluateReplicaHealth(
      observe(MARIADB_10_11_SLAVE_STATUS, {
        flavor: MARIADB,
        logs: ['binlog.000006', 'binlog.000007'],
        closedHoursAgo: { 'binlog.000006': 2 },
      }),
      THRESHOLDS,
    );
    expect(health.incidents.map((i) => i.kind)).toEqual(['broken']);
    expect(health.incidents[0]!.diagnostics.join(' ')).toContain('SQL error 1032');
    expect(health.facts.join('\n')).toContain('read_only ON\n');
    expect(health.gauges.threadsRunning).toBe(1);
  });

  it('a short margin: the warning with the time left and the exact command to raise retention', () => {
    const health = evaluateReplicaHealth(
      observe(
        {
          ...MARIADB_10_11_SLAVE_STATUS,
          Slave_SQL_Running: 'Yes',
          Last_SQL_Errno: 0,
          Last_SQL_Error: '',
        },
        {
          flavor: MARIADB,
          logs: ['binlog.000006', 'binlog.000007'],
          retentionHours: 4,
          closedHoursAgo: { 'binlog.000006': 1 },
        },
      ),
      THRESHOLDS,
    );
    const margin = health.incidents.find((i) => i.kind === 'margin')!;
    expect(margin.title).toBe(
      'at this rate onprem is unrecoverable in about 3h 0m: raise retention now',
    );
    expect(margin.actions[0]).toContain(raiseRetentionCommand());
    expect(margin.actions[0]).toContain(
      "CALL mysql.rds_set_configuration('binlog retention hours', 168);",
    );
    expect(health.gauges.marginSeconds).toBe(3 * 3600);
    expect(margin.raiseRetention).toBe('/seed-slave retention billing --hours 168');
    expect(margin.actions[0]).toContain('`/seed-slave retention billing --hours 168`');
  });

  it('a source that is not RDS: no margin is told, so nothing offers to raise its retention', () => {
    const observation = observe(MYSQL_8_4.replicaStatus, {
      logs: ['binlog.000006', 'binlog.000007'],
      closedHoursAgo: { 'binlog.000006': 1 },
      retentionHours: 4,
    });
    expect(kinds(observation)).toEqual(['margin']);
    const notRds: ReplicaObservation = {
      ...observation,
      binlogs: { ...observation.binlogs, retentionHours: null, retentionKnown: false },
    } as ReplicaObservation;
    const health = evaluateReplicaHealth(notRds, THRESHOLDS);
    expect(health.incidents).toEqual([]);
    expect(health.margin?.seconds).toBeNull();
  });

  it('retention NULL: no margin at all, even for a healthy replica', () => {
    expect(kinds(observe(MYSQL_8_4.replicaStatus, { retentionHours: null }))).toEqual(['margin']);
  });

  it('lag above the threshold, and a writable replica: warnings', () => {
    expect(
      kinds(
        observe({ ...MYSQL_8_4.replicaStatus, Seconds_Behind_Source: 301 }, { readOnly: false }),
      ),
    ).toEqual(['lag', 'writable']);
    expect(kinds(observe({ ...MYSQL_8_4.replicaStatus, Seconds_Behind_Source: 300 }))).toEqual([]);
  });

  it('a server that is no replica, an unreachable replica, an unreachable source', () => {
    expect(kinds(observe(null))).toEqual(['not-replicating']);
    expect(
      kinds({ ...observe(null), server: { error: 'connect ECONNREFUSED 127.0.0.1:9' } }),
    ).toEqual(['replica-unreachable']);
    const health = evaluateReplicaHealth(
      { ...observe(MYSQL_8_4.replicaStatus), binlogs: { error: 'access denied' } },
      THRESHOLDS,
    );
    expect(health.incidents.map((i) => i.kind)).toEqual(['source-unreachable']);
    expect(health.gauges.marginSeconds).toBeNull();
  });

  it('the signature changes with the state, not with every poll', () => {
    const stopped = (errno: number) =>
      evaluateReplicaHealth(
        observe({
          ...MYSQL_8_4.replicaStatus,
          Replica_IO_Running: 'No',
          Last_IO_Errno: errno,
          Last_IO_Error: errno ? 'x' : '',
        }),
        THRESHOLDS,
      ).incidents[0]!.signature;
    expect(stopped(0)).toBe(stopped(0));
    expect(stopped(2003)).not.toBe(stopped(0));
  });
});
