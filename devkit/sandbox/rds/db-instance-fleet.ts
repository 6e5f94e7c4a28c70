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
import { ensureServerCertificate, type CertificateAuthority } from '../tls-certificates';

export interface FleetOptions {
  dataDir: string;
  createDelayMs: number;
  backupDelayMs: number;
  deleteDelayMs: number;
  binlogRotateIntervalMs: number;
  innodbBufferPoolSize: string;
  /** Region named in each instance's endpoint name (its certificate's DNS name). */
  region: string;
  /** Signs each instance's certificate; replicas check their source's against it. */
  ca: CertificateAuthority;
  /** Instances refuse plain TCP connections (require_secure_transport=ON). */
  requireSecureTransport: boolean;
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
  /** Each instance's creation or restart while it runs: a deletion waits for it. */
  private readonly inFlight = new Map<DbInstanceRecord, Promise<void>>();
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

  /** The instance's certificate and key (not in its datadir: a directory there is a database). */
  certificateDirOf(resourceId: string): string {
    return join(this.options.dataDir, 'tls', 'instances', resourceId);
  }

  /**
   * The names an instance's certificate holds: its endpoint address (127.0.0.1, as an IP SAN) and
   * its endpoint name, `<identifier>.<region>.rds.sandbox.internal` (RDS certificates name the
   * `<identifier>.<id>.<region>.rds.amazonaws.com` endpoint). Not `localhost`: a client that dials
   * another name than the endpoint must see the name check fail.
   */
  certificateNames(record: DbInstanceRecord): { dnsNames: string[]; ipAddresses: string[] } {
    return {
      dnsNames: [`${record.identifier}.${this.options.region}.rds.sandbox.internal`],
      ipAddresses: ['127.0.0.1'],
    };
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
    // Deleted meanwhile: the deletion goes on, the instance never shows available.
    const deleting = () => record.status === 'deleting';
    const work = this.build(record).then(async () => {
      await minimum;
      if (deleting()) return;
      if (record.backupRetentionPeriod > 0 && !record.readReplicaSourceIdentifier) {
        this.setStatus(record, 'backing-up');
        await sleep(this.options.backupDelayMs);
        if (deleting()) return;
      }
      delete record.origin;
      this.setStatus(record, 'available');
    });
    this.runOrFail(record, work, `creation of ${record.identifier}`);
  }

  /**
   * Background work on one instance (its creation or restart); its failure marks the instance
   * `failed`, unless the sandbox is stopping (the instance keeps its status and the work is redone
   * on the next start) or the instance is being deleted. A deletion waits for it (see destroy).
   */
  private runOrFail(record: DbInstanceRecord, work: Promise<void>, what: string): void {
    const settled = work.catch((error: unknown) => {
      if (this.supervisor.isClosed) return;
      if (record.status !== 'deleting') this.setStatus(record, 'failed');
      throw error;
    });
    this.inFlight.set(record, settled);
    void settled
      .catch(() => undefined)
      .finally(() => {
        if (this.inFlight.get(record) === settled) this.inFlight.delete(record);
      });
    this.track(settled, what);
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
    // Over TLS, the source's certificate and name checked, as RDS replicas connect.
    await runAsRoot(
      dataDir,
      "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=?, MASTER_USER=?, MASTER_PASSWORD=?, MASTER_LOG_FILE=?, MASTER_LOG_POS=4, MASTER_USE_GTID=no, MASTER_SSL=1, MASTER_SSL_CA=?, MASTER_SSL_VERIFY_SERVER_CERT=1",
      [
        source.port,
        REPLICATION_USER,
        this.store.state.replicationPassword,
        active,
        this.options.ca.caFile,
      ],
    );
    await runAsRoot(dataDir, 'START SLAVE');
    await runAsRoot(dataDir, 'SET GLOBAL read_only = ON');
  }

  /** An instance of a previous run: `starting` (as RDS shows a started instance) until it serves. */
  private async restart(record: DbInstanceRecord): Promise<void> {
    this.setStatus(record, 'starting');
    await this.launch(record);
    if (record.readReplicaSourceIdentifier) {
      await runAsRoot(this.dataDirOf(record), 'SET GLOBAL read_only = ON');
      await this.replicateOverTls(record);
    }
    this.setStatus(record, 'available');
  }

  /**
   * A replica made by an older sandbox replicates over plain TCP, which its source now refuses:
   * its channel is switched to TLS (coordinates kept), its threads restarted if they ran.
   */
  private async replicateOverTls(record: DbInstanceRecord): Promise<void> {
    const dataDir = this.dataDirOf(record);
    const [status] = await runAsRoot<Record<string, unknown>[]>(dataDir, 'SHOW SLAVE STATUS');
    if (!status) return;
    if (status.Master_SSL_Allowed === 'Yes' && status.Master_SSL_CA_File === this.options.ca.caFile)
      return;
    const running = status.Slave_IO_Running !== 'No' || status.Slave_SQL_Running !== 'No';
    if (running) await runAsRoot(dataDir, 'STOP SLAVE');
    await runAsRoot(
      dataDir,
      'CHANGE MASTER TO MASTER_SSL=1, MASTER_SSL_CA=?, MASTER_SSL_VERIFY_SERVER_CERT=1',
      [this.options.ca.caFile],
    );
    if (running) await runAsRoot(dataDir, 'START SLAVE');
  }

  private async launch(record: DbInstanceRecord): Promise<void> {
    const certificate = await ensureServerCertificate(
      this.options.ca,
      this.certificateDirOf(record.resourceId),
      this.certificateNames(record),
    );
    record.pid = await this.supervisor.start({
      dataDir: this.dataDirOf(record),
      port: record.port,
      serverId: record.serverId,
      bufferPoolSize: this.options.innodbBufferPoolSize,
      binlog: true,
      tmpDir: this.tmpDir(),
      tls: { ...certificate, requireSecureTransport: this.options.requireSecureTransport },
    });
    this.store.save();
  }

  private async destroy(record: DbInstanceRecord): Promise<void> {
    await sleep(this.options.deleteDelayMs);
    // A creation or restart still under way writes the same datadir (copying it, starting the
    // server: its pid is known only once it serves): removing files under it left a half-deleted
    // datadir and a server running on it. It ends first.
    await this.inFlight.get(record)?.catch(() => undefined);
    if (record.pid !== undefined) await this.supervisor.stop(record.pid);
    await rm(this.dataDirOf(record), { recursive: true, force: true });
    await rm(this.archiveDirOf(record.resourceId), { recursive: true, force: true });
    await rm(this.certificateDirOf(record.resourceId), { recursive: true, force: true });
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
