import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { binlogHistory, replayBinlogs, rotateArchiveAndPurge } from '../binlog-history';
import { freePort } from '../free-port';
import { isMariadbdFor, runAsRoot, sleep, type MariadbSupervisor } from '../mariadb-process';
import { admit } from '../network/admission';
import { DbGate, type DbGateOptions } from '../network/db-gate';
import { nextDbInstanceAddress } from '../network/loopback-addresses';
import type { DbInstanceRecord, StateStore } from '../state-store';
import { snapshotInstance } from './source-snapshot';
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
  /** Told about every connection a security group refused (default: nothing). */
  onRefused?: (instance: string, client: string, reason: string) => void;
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
  /** Each serving instance's endpoint, by identifier. */
  private readonly gates = new Map<string, DbGate>();
  /** Addresses whose endpoint is being opened right now (concurrent creations skip them). */
  private readonly openingAddresses = new Set<string>();

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
   * The names an instance's certificate holds: its endpoint's address (127.2.X.Y, as an IP SAN:
   * clients reach the server through the endpoint's gate, and TLS passes through it), its
   * endpoint name `<identifier>.<region>.rds.sandbox.internal` (RDS certificates name the
   * `<identifier>.<id>.<region>.rds.amazonaws.com` endpoint), and 127.0.0.1, where its read
   * replicas reach its mariadbd inside the sandbox's "AWS network". Not `localhost`: a client that
   * dials another name must see the name check fail.
   */
  certificateNames(record: DbInstanceRecord): { dnsNames: string[]; ipAddresses: string[] } {
    return {
      dnsNames: [`${record.identifier}.${this.options.region}.rds.sandbox.internal`],
      ipAddresses: [record.address, '127.0.0.1'],
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
      record.internalPort ??= await freePort(); // state written before endpoints had gates
      if (record.status !== 'deleting') await this.reopenEndpoint(record);
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
    await Promise.all([...this.gates.values()].map((gate) => gate.close()));
    this.gates.clear();
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

  /** Records a new `creating` instance, behind its endpoint, and builds it in the background. */
  create(record: DbInstanceRecord, endpoint: DbGate): void {
    this.gates.set(record.identifier, endpoint);
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
   * on the next start) or the instance is being deleted anyway. A deletion waits for it (see
   * destroy): this is the one record of work in flight on an instance.
   */
  private runOrFail(record: DbInstanceRecord, work: Promise<void>, what: string): void {
    const settled = work.catch((error: unknown) => {
      if (this.supervisor.isClosed || record.status === 'deleting') return;
      this.setStatus(record, 'failed');
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
    const origin = record.origin;
    if (origin?.kind === 'replica') {
      await this.startReplica(record, origin.sourceIdentifier);
      return;
    }
    await cp(this.templateDir(), dataDir, { recursive: true });
    await this.launch(record);
    if (origin?.kind === 'new') await this.initialize(record, origin.masterPassword);
    else if (origin?.kind === 'restore') {
      const source = this.archiveDirOf(origin.sourceResourceId);
      const sourceDataDir = join(this.options.dataDir, 'instances', origin.sourceResourceId);
      const files = await binlogHistory(sourceDataDir, source);
      await replayBinlogs(files, dataDir, new Date(origin.stopAt));
    }
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
   * A replica starts from a snapshot of its source (a copy of its data at one binary log
   * position, as RDS copies a storage snapshot), then replicates from that position, by file and
   * position as RDS for MySQL replicas do (GTID only where gtid_mode is on). So, as on RDS, SHOW
   * SLAVE STATUS's Relay_Master_Log_File / Exec_Master_Log_Pos are source coordinates, and a
   * replica stopped while its source purges the file it is at fails with IO error 1236 "Could
   * not find first log file name in binary log index file" when started again (by GTID, a MariaDB
   * replica would find its position in a later file's GTID list and carry on). The source keeps
   * its binlogs meanwhile (rotateAll skips it until the replica is available).
   */
  private async startReplica(record: DbInstanceRecord, sourceIdentifier: string): Promise<void> {
    const source = this.records[sourceIdentifier];
    if (!source) throw new Error(`source instance ${sourceIdentifier} is gone`);
    const dataDir = this.dataDirOf(record);
    const at = await snapshotInstance(this.dataDirOf(source), dataDir);
    await this.launch(record);
    // Kept in step, so that switching the replica to GTID later starts from the same place.
    await runAsRoot(dataDir, 'SET GLOBAL gtid_slave_pos = ?', [at.gtid]);
    // RDS replicates inside AWS's network whatever the security groups say: the replica connects
    // to the source's mariadbd itself, not through its endpoint's gate. Over TLS, the source's
    // certificate (it names 127.0.0.1 for this) and name checked, as RDS replicas connect.
    await runAsRoot(
      dataDir,
      "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=?, MASTER_USER=?, MASTER_PASSWORD=?, MASTER_LOG_FILE=?, MASTER_LOG_POS=?, MASTER_USE_GTID=no, MASTER_SSL=1, MASTER_SSL_CA=?, MASTER_SSL_VERIFY_SERVER_CERT=1",
      [
        source.internalPort,
        REPLICATION_USER,
        this.store.state.replicationPassword,
        at.file,
        at.pos,
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

  /**
   * Starts the instance's mariadbd behind its endpoint, the gate its security groups guard: the
   * gate first (a restart may move it to a new address), then a certificate naming that address,
   * then the server, then the gate lets connections through to it.
   */
  private async launch(record: DbInstanceRecord): Promise<void> {
    const gate = await this.reopenEndpoint(record);
    const certificate = await ensureServerCertificate(
      this.options.ca,
      this.certificateDirOf(record.resourceId),
      this.certificateNames(record),
    );
    record.pid = await this.supervisor.start({
      dataDir: this.dataDirOf(record),
      port: record.internalPort,
      serverId: record.serverId,
      bufferPoolSize: this.options.innodbBufferPoolSize,
      binlog: true,
      tmpDir: this.tmpDir(),
      tls: { ...certificate, requireSecureTransport: this.options.requireSecureTransport },
    });
    this.store.save();
    gate.serve(record.internalPort);
  }

  /**
   * Opens the endpoint of a new instance: its gate on the first DB instance address (127.2.X.Y)
   * where `port` is free, so that every instance can listen on the port RDS gives it (3306, or its
   * source's) as on AWS, and several sandboxes on one machine never take the same endpoint. Until
   * the instance serves, the gate answers nothing. `create` takes it over; `close()` it otherwise.
   */
  async openEndpoint(identifier: string, port: number): Promise<{ address: string; gate: DbGate }> {
    const own = Object.values(this.records).map((record) => record.address);
    const tried: string[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      const address = nextDbInstanceAddress([...own, ...tried, ...this.openingAddresses]);
      tried.push(address);
      this.openingAddresses.add(address);
      try {
        return { address, gate: await DbGate.open(this.gateOptions(identifier, address, port)) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      } finally {
        this.openingAddresses.delete(address);
      }
    }
    throw new Error(
      `port ${port} is taken on ${tried.length} DB instance addresses (${tried[0]} to ${tried.at(-1)}): does a server listen on it on every address?`,
    );
  }

  private async closeEndpoint(identifier: string): Promise<void> {
    const gate = this.gates.get(identifier);
    this.gates.delete(identifier);
    await gate?.close();
  }

  /** After a restart: the endpoint at the same address, or (taken meanwhile) at a new one. */
  private async reopenEndpoint(record: DbInstanceRecord): Promise<DbGate> {
    const existing = this.gates.get(record.identifier);
    if (existing) return existing;
    try {
      if (!record.address) throw Object.assign(new Error('no address yet'), { code: 'EADDRINUSE' });
      const gate = await DbGate.open(
        this.gateOptions(record.identifier, record.address, record.port),
      );
      this.gates.set(record.identifier, gate);
      return gate;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      const before = record.address;
      const { address, gate } = await this.openEndpoint(record.identifier, record.port);
      record.address = address;
      this.gates.set(record.identifier, gate);
      if (before)
        console.error(
          `sandbox: ${record.identifier}'s endpoint ${before}:${record.port} is taken; it moved to ${record.address}:${record.port}`,
        );
      this.store.save();
      return gate;
    }
  }

  private gateOptions(identifier: string, address: string, port: number): DbGateOptions {
    return {
      address,
      port,
      // The instance's groups and every rule are read at each connection: changes apply at once.
      admit: (client) => {
        const record = this.records[identifier];
        return admit(this.store.state, {
          groupIds: record?.vpcSecurityGroupIds ?? [],
          port,
          client,
        });
      },
      onRefused: (client, reason) => this.options.onRefused?.(identifier, client, reason),
    };
  }

  private async destroy(record: DbInstanceRecord): Promise<void> {
    await sleep(this.options.deleteDelayMs);
    // A creation or restart still under way writes the same datadir (copying it, starting the
    // server: its pid is known only once it serves): removing files under it left a half-deleted
    // datadir and a server running on it. It ends first.
    await this.inFlight.get(record)?.catch(() => undefined);
    await this.closeEndpoint(record.identifier);
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
