import { CreateDBInstanceReadReplicaCommand, type RDSClient } from '@aws-sdk/client-rds';
import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { describeInstance, endpointOf } from '../../src/aws/rds-instance';
import { deleteAndWaitGone, waitUntilAvailable } from '../../src/aws/temporary-instance';
import { sdkClients } from '../../test/helpers/sandbox';
import { dumpInto } from './dump-pipe';
import { PhaseTimer } from './phase-timer';
import { formatCoordinates, type BinlogCoordinates } from '../../src/mysql/binlog-coordinates';
import { watchCatchUp } from '../../src/mysql/catch-up-watch';
import { readReplicaStatus } from '../../src/mysql/replica-status';
import { readServerFlavor } from '../../src/mysql/server-flavor';
import type { Credentials, SeedOutcome, SeedSlaveInputs } from './seed-inputs';

/**
 * The runbook's no-downtime procedure (/work/shared/runbooks.md, "/seed-slave"), scripted as an
 * operator following it step by step would run it: raise binlog retention on the source, create a
 * temporary read replica and wait for it, stop its replication and read the master coordinates it
 * executed up to, `mariadb-dump | mariadb` from it into the external replica, CHANGE MASTER TO
 * those coordinates, START SLAVE, watch until caught up; then delete the temporary replica.
 */
export interface ManualSeedOptions {
  /** The temporary read replica's identifier. */
  temporaryReplica: string;
  retentionHours: number;
  pollMs: number;
  maxWaitMs: number;
  log: (line: string) => void;
}

export async function manualSeed(
  inputs: SeedSlaveInputs,
  options: ManualSeedOptions,
): Promise<SeedOutcome> {
  const { rds } = sdkClients(inputs.sandboxUrl);
  const timer = new PhaseTimer(options.log);
  const cleanup = new PhaseTimer(options.log);
  const started = performance.now();
  const startedAt = Date.now();
  const sourceInstance = await describeInstance(rds, inputs.sourceInstance);
  if (!sourceInstance) throw new Error(`no RDS instance ${inputs.sourceInstance}`);
  const sourceEndpoint = endpointOf(sourceInstance);
  const connections: Connection[] = [];
  const connect = async (host: string, port: number, credentials: Credentials) => {
    const conn = await mysql.createConnection({ host, port, ...credentials, charset: 'utf8mb4' });
    connections.push(conn);
    return conn;
  };
  let replicaCreated = false;
  try {
    const source = await connect(sourceEndpoint.host, sourceEndpoint.port, inputs.sourceAdmin);
    const external = await connect(inputs.replica.host, inputs.replica.port, inputs.replica.admin);

    await timer.phase('1 binlog retention', async () => {
      await source.query("CALL mysql.rds_set_configuration('binlog retention hours', ?)", [
        options.retentionHours,
      ]);
      const [[config]] = (await source.query('CALL mysql.rds_show_configuration')) as unknown as [
        RowDataPacket[][],
      ];
      const retention = config?.find((row) => row.name === 'binlog retention hours')?.value;
      if (Number(retention) !== options.retentionHours)
        throw new Error(`binlog retention hours is ${retention}, not ${options.retentionHours}`);
    });

    const replicaEndpoint = await timer.phase('2 create read replica, wait available', async () => {
      replicaCreated = true;
      await rds.send(
        new CreateDBInstanceReadReplicaCommand({
          DBInstanceIdentifier: options.temporaryReplica,
          SourceDBInstanceIdentifier: inputs.sourceInstance,
          VpcSecurityGroupIds: [inputs.operatorGroupId],
        }),
      );
      const instance = await waitUntilAvailable(rds, options.temporaryReplica, {
        startedAt: Date.now(),
        maxWaitMs: options.maxWaitMs,
        pollMs: options.pollMs,
      });
      return endpointOf(instance);
    });

    const replicaReadySeconds = (performance.now() - started) / 1000;
    const coordinates = await timer.phase('3 stop replica, read coordinates', async () => {
      const replica = await connect(replicaEndpoint.host, replicaEndpoint.port, inputs.sourceAdmin);
      await replica.query('CALL mysql.rds_stop_replication');
      const status = await readReplicaStatus(replica);
      // Relay_Master_Log_File / Exec_Master_Log_Pos: what it executed, not what it read.
      if (!status) throw new Error('the read replica shows no replica status');
      options.log(
        `read replica stopped at ${formatCoordinates(status.executed)} of the source ` +
          `(read up to ${formatCoordinates(status.read)})`,
      );
      return status.executed;
    });

    await timer.phase('4 mariadb-dump | mariadb', async () => {
      const before = await readReplicaStatus(external);
      options.log(
        `external replica before: ${before ? formatCoordinates(before.executed) : 'never a replica'}`,
      );
      await external.query('STOP SLAVE');
      await dumpInto(
        { ...replicaEndpoint, credentials: inputs.sourceAdmin },
        { host: inputs.replica.host, port: inputs.replica.port, credentials: inputs.replica.admin },
        inputs.databases,
      );
    });

    await timer.phase('5 CHANGE MASTER, START SLAVE, catch up', async () => {
      await changeMaster(external, sourceEndpoint, inputs.replication, coordinates);
      await external.query('START SLAVE');
      const { status, target } = await watchCatchUp({
        replica: external,
        source,
        flavor: await readServerFlavor(external),
        pollMs: options.pollMs,
        maxWaitMs: options.maxWaitMs,
      });
      options.log(
        `caught up: executed ${formatCoordinates(status.executed)} >= ${formatCoordinates(target)}`,
      );
    });
    const seconds = (performance.now() - started) / 1000;

    await cleanup.phase('6 delete read replica', () => deleteReplica(rds, options));
    replicaCreated = false;
    return {
      startedAt,
      seconds,
      phases: timer.phases,
      replicaReadySeconds,
      cleanup: cleanup.phases,
    };
  } finally {
    await Promise.all(connections.map((conn) => conn.end().catch(() => undefined)));
    if (replicaCreated) await deleteReplica(rds, options);
  }
}

function changeMaster(
  external: Connection,
  source: { host: string; port: number },
  replication: Credentials,
  at: BinlogCoordinates,
): Promise<unknown> {
  // MariaDB 10.10+ would otherwise replicate by GTID (slave_pos): these coordinates are a file
  // and an offset of the source's binlog, so say so.
  return external.query(
    `CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?,
       MASTER_LOG_FILE = ?, MASTER_LOG_POS = ?, MASTER_USE_GTID = no`,
    [source.host, source.port, replication.user, replication.password, at.file, at.pos],
  );
}

function deleteReplica(rds: RDSClient, options: ManualSeedOptions): Promise<void> {
  return deleteAndWaitGone(rds, options.temporaryReplica, {
    startedAt: Date.now(),
    maxWaitMs: options.maxWaitMs,
    pollMs: options.pollMs,
  });
}
