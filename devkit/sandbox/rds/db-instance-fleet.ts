import { cp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  archiveClosedBinlogs,
  binlogHistory,
  replayBinlogs,
  rotateArchiveAndPurge,
} from '../binlog-history';
import { isMariadbdFor, runAsRoot, sleep, type MariadbSupervisor } from '../mariadb-process';
import type { DbInstanceRecord, StateStore } from '../state-store';
import { ensureTemplateDatadir } from '../template-datadir';

export interface FleetOptions {
  dataDir: string;
  createDelayMs: number;
  backupDelayMs: number;
  deleteDelayMs: number;
  binlogRotateIntervalMs: number;
  innodbBufferPoolSize: string;
  /** How long `stop()` waits for background work once every server is stopped (default 30 s). */
  stopTasksTimeoutMs?: number;
}

export const REPLICATION_USER = 'rdsrepladmin';

/**
 * The DB instances' life: each is a mariadbd with its own datadir. Creating, restoring,
 * replicating and deleting run in the background while the API already answered, moving the
 * status creating → backing-up → available and available → deleting → gone, as RDS does.
 */
export class DbInstanceFleet {
  /** Background work in flight, with what it is (for the stop's report). */
  private readonly tasks = new Map<Promise<void>, string>();
  private rotateTimer: NodeJS.Timeout | undefined;
  private rotating = false;

  constructor(
    private readonly store: StateStore,
    private readonly supervisor: MariadbSupervisor,
    private readonly options: FleetOptions,
  ) {}

  get records(): Record<string, DbInstanceRecord> {
    return this.store.state.rds.instances;
  }

  dataDirOf(record: DbInstanceRecord): string {
    return join(this.options.dataDir, 'instances', record.resourceId);
  }

  archiveDirOf(resourceId: string): string {
    return join(this.options.dataDir, 'backups', resourceId);
  }

  /** After a restart: stop leftovers of the previous run, then bring every instance back. */
  async resume(): Promise<void> {
    await ensureTemplateDatadir(this.supervisor, this.templateDir(), {
      bufferPoolSize: this.options.innodbBufferPoolSize,
      tmpDir: this.tmpDir(),
    });
    for (const record of Object.values(this.records)) {
      if (record.pid !== undefined && isMariadbdFor(record.pid, this.dataDirOf(record))) {
        await this.supervisor.stop(record.pid);
      }
      delete record.pid;
    }
    this.store.save();
    for (const record of Object.values(this.records)) {
      if (record.status === 'creating') this.provision(record);
      else if (record.status === 'deleting') this.delete(record);
      else if (record.status !== 'failed') {
        this.runOrFail(record, this.restart(record), `restart of ${record.identifier}`);
      }
    }
    this.rotateTimer = setInterval(() => this.rotateAll(), this.options.binlogRotateIntervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.rotateTimer);
    await this.supervisor.stopAll();
    // With every server stopped, background work fails fast; one that still hangs is named and
    // left behind rather than holding up the stop (and a test's teardown) for ever.
    const timeoutMs = this.options.stopTasksTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    const settled = await Promise.race([Promise.allSettled([...this.tasks.keys()]), bounded]);
    clearTimeout(timer);
    if (settled === 'late')
      console.error(
        `sandbox: stopped with background work still running after ${timeoutMs} ms: ` +
          [...this.tasks.values()].join(', '),
      );
    for (const record of Object.values(this.records)) delete record.pid;
    this.store.save();
  }

  /** Records a new `creating` instance and builds it in the background. */
  create(record: DbInstanceRecord): void {
    this.records[record.identifier] = record;
    this.store.save();
    this.provision(record);
  }

  delete(record: DbInstanceRecord): void {
    record.status = 'deleting';
    this.store.save();
    this.track(this.destroy(record), `deletion of ${record.identifier}`);
  }

  private provision(record: DbInstanceRecord): void {
    const minimum = sleep(this.options.createDelayMs);
    const work = this.build(record).then(async () => {
      await minimum;
      if (record.backupRetentionPeriod > 0 && !record.readReplicaSourceIdentifier) {
        this.setStatus(record, 'backing-up');
        await sleep(this.options.backupDelayMs);
      }
      delete record.origin;
      this.setStatus(record, 'available');
    });
    this.runOrFail(record, work, `creation of ${record.identifier}`);
  }

  /**
   * Background work on one instance; its failure marks the instance `failed`, unless the sandbox
   * is stopping: then the instance keeps its status and the work is redone on the next start.
   */
  private runOrFail(record: DbInstanceRecord, work: Promise<void>, what: string): void {
    this.track(
      work.catch((error: unknown) => {
        if (this.supervisor.isClosed) return;
        this.setStatus(record, 'failed');
        throw error;
      }),
      what,
    );
  }

  private async build(record: DbInstanceRecord): Promise<void> {
    const dataDir = this.dataDirOf(record);
    await rm(dataDir, { recursive: true, force: true });
    await rm(this.archiveDirOf(record.resourceId), { recursive: true, force: true });
    await cp(this.templateDir(), dataDir, { recursive: true });
    await this.launch(record);
    const origin = record.origin;
    if (origin?.kind === 'new') await this.initialize(record, origin.masterPassword);
    else if (origin?.kind === 'restore') {
      const source = this.archiveDirOf(origin.sourceResourceId);
      const sourceDataDir = join(this.options.dataDir, 'instances', origin.sourceResourceId);
      const files = await binlogHistory(sourceDataDir, source);
      await replayBinlogs(files, dataDir, new Date(origin.stopAt));
    } else if (origin?.kind === 'replica')
      await this.startReplication(record, origin.sourceIdentifier);
  }

  private async initialize(record: DbInstanceRecord, masterPassword: string): Promise<void> {
    const dataDir = this.dataDirOf(record);
    const user = record.masterUsername;
    await runAsRoot(dataDir, "CREATE USER ?@'%' IDENTIFIED BY ?", [user, masterPassword]);
    await runAsRoot(dataDir, "GRANT ALL PRIVILEGES ON *.* TO ?@'%' WITH GRANT OPTION", [user]);
    await runAsRoot(dataDir, "CREATE USER ?@'%' IDENTIFIED BY ?", [
      REPLICATION_USER,
      this.store.state.replicationPassword,
    ]);
    await runAsRoot(dataDir, "GRANT REPLICATION SLAVE ON *.* TO ?@'%'", [REPLICATION_USER]);
    if (record.dbName) await runAsRoot(dataDir, `CREATE DATABASE \`${record.dbName}\``);
  }

  /**
   * A replica starts from the source's archived history (the server itself may have purged it),
   * then replicates from where that history ends: the start of the source's active binlog, by
   * file and position as RDS for MySQL replicas do (GTID only where gtid_mode is on). So, as on
   * RDS, SHOW SLAVE STATUS's Relay_Master_Log_File / Exec_Master_Log_Pos are source coordinates,
   * and a replica stopped while its source purges the file it is at fails with IO error 1236
   * "Could not find first log file name in binary log index file" when started again (by GTID, a
   * MariaDB replica would find its position in a later file's GTID list and carry on).
   */
  private async startReplication(
    record: DbInstanceRecord,
    sourceIdentifier: string,
  ): Promise<void> {
    const source = this.records[sourceIdentifier];
    if (!source) throw new Error(`source instance ${sourceIdentifier} is gone`);
    const sourceDataDir = this.dataDirOf(source);
    await runAsRoot(sourceDataDir, 'FLUSH BINARY LOGS');
    await archiveClosedBinlogs(sourceDataDir, this.archiveDirOf(source.resourceId));
    const history = await binlogHistory(sourceDataDir, this.archiveDirOf(source.resourceId));
    const dataDir = this.dataDirOf(record);
    await replayBinlogs(history.slice(0, -1), dataDir);
    // The source does not rotate while its replica is being built (rotateAll), so the file opened
    // by the FLUSH above is still the active one, and the replayed history ends where it starts.
    const active = basename(history[history.length - 1]!);
    // Kept in step, so that switching the replica to GTID later starts from the same place.
    await runAsRoot(dataDir, 'SET GLOBAL gtid_slave_pos = @@gtid_binlog_pos');
    await runAsRoot(
      dataDir,
      "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=?, MASTER_USER=?, MASTER_PASSWORD=?, MASTER_LOG_FILE=?, MASTER_LOG_POS=4, MASTER_USE_GTID=no",
      [source.port, REPLICATION_USER, this.store.state.replicationPassword, active],
    );
    await runAsRoot(dataDir, 'START SLAVE');
    await runAsRoot(dataDir, 'SET GLOBAL read_only = ON');
  }

  /** An instance of a previous run: `starting` (as RDS shows a started instance) until it serves. */
  private async restart(record: DbInstanceRecord): Promise<void> {
    this.setStatus(record, 'starting');
    await this.launch(record);
    if (record.readReplicaSourceIdentifier)
      await runAsRoot(this.dataDirOf(record), 'SET GLOBAL read_only = ON');
    this.setStatus(record, 'available');
  }

  private async launch(record: DbInstanceRecord): Promise<void> {
    record.pid = await this.supervisor.start({
      dataDir: this.dataDirOf(record),
      port: record.port,
      serverId: record.serverId,
      bufferPoolSize: this.options.innodbBufferPoolSize,
      binlog: true,
      tmpDir: this.tmpDir(),
    });
    this.store.save();
  }

  private async destroy(record: DbInstanceRecord): Promise<void> {
    await sleep(this.options.deleteDelayMs);
    if (record.pid !== undefined) await this.supervisor.stop(record.pid);
    await rm(this.dataDirOf(record), { recursive: true, force: true });
    await rm(this.archiveDirOf(record.resourceId), { recursive: true, force: true });
    if (this.records[record.identifier] === record) delete this.records[record.identifier];
    this.store.save();
  }

  /** RDS's binlog housekeeping, every binlogRotateIntervalMs for every available instance. */
  private rotateAll(): void {
    if (this.rotating) return;
    this.rotating = true;
    // A source whose replica is being built keeps its binlogs until the replica has connected.
    const building = new Set(
      Object.values(this.records)
        .filter((record) => record.status === 'creating' && record.readReplicaSourceIdentifier)
        .map((record) => record.readReplicaSourceIdentifier),
    );
    const available = Object.values(this.records).filter(
      (record) => record.status === 'available' && !building.has(record.identifier),
    );
    const work = Promise.all(
      available.map((record) =>
        rotateArchiveAndPurge(this.dataDirOf(record), this.archiveDirOf(record.resourceId)).catch(
          (error: unknown) =>
            console.error(`sandbox: binlog rotation of ${record.identifier} failed`, error),
        ),
      ),
    ).then(() => {
      this.rotating = false;
    });
    this.track(work, 'binlog rotation');
  }

  private setStatus(record: DbInstanceRecord, status: DbInstanceRecord['status']): void {
    record.status = status;
    this.store.save();
  }

  private templateDir(): string {
    return join(this.options.dataDir, 'template');
  }

  private tmpDir(): string {
    return join(this.options.dataDir, 'tmp');
  }

  /** Background work: awaited by `stop()`; a failure is logged (the API call already returned). */
  private track(task: Promise<void>, what: string): void {
    const guarded = task.catch((error: unknown) => console.error(`sandbox: ${what} failed`, error));
    this.tasks.set(guarded, what);
    void guarded.finally(() => this.tasks.delete(guarded));
  }
}
