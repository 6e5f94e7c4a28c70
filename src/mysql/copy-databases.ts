import type { Pool, RowDataPacket } from 'mysql2/promise';
import {
  batchLimits,
  chooseMethod,
  copyRange,
  type CopyMethod,
  type RangeCopier,
} from './copy-range';
import { openCopySession, withSchemaSession } from './copy-session';
import {
  checkResume,
  loadRanges,
  newCheckpoint,
  storeBoundaries,
  type DatabasesCheckpoint,
  type StoredKeyValue,
} from './databases-checkpoint';
import { planKeyRanges, type KeyRange } from './key-ranges';
import {
  checkDatabaseList,
  checkDestinationCanHold,
  readSchemaInventory,
  type SchemaInventory,
  type SourceTable,
} from './schema-inventory';
import { createSchemaObjects, disabledOnReplica, OBJECT_KINDS } from './schema-objects';
import { readServerFlavor, type ServerFlavor } from './server-flavor';
import { checkIdentifier, qualifiedTable, quoteIdentifier } from './sql-identifier';
import { StoppableStatements, stopOnAbort } from './stop-statements';
import {
  addDeferredIndexes,
  baseTableDefinition,
  type DeferredIndex,
  type ForeignKey,
} from './table-definition';

export type { DatabasesCheckpoint } from './databases-checkpoint';
export {
  verifyDatabases,
  type DatabasesVerification,
  type TableVerification,
  type ObjectVerification,
} from './verify-databases';

export interface DatabasesCopyProgress {
  /**
   * `tables` while rows are copied (finished tables get their indexes meanwhile), `indexes` once
   * every row is in (the last index builds, then the foreign keys), `objects` for views, routines,
   * triggers and events.
   */
  phase: 'tables' | 'indexes' | 'objects';
  /** Rows in the destination tables, those of earlier runs of a resumed copy included. */
  rows: number;
  /** The source's row estimates summed, each raised to the rows copied if it was low. */
  estimatedRows: number;
  /** 0-100; exactly 100 only once the copy is complete. */
  percent: number;
  /** From this run's rate so far; null until it has copied rows. */
  etaMs: number | null;
  /** Tables with every row in and their secondary indexes built. */
  tablesDone: number;
  tablesTotal: number;
  elapsedMs: number;
}

export interface CopyDatabasesOptions {
  /** Read only: SELECTs, SHOW CREATE and information_schema. */
  source: Pool;
  /**
   * Each listed database is dropped and created here (the caller has had that approved); nothing
   * else on this server is touched. Each pool needs `parallelism + 1` connections.
   */
  destination: Pool;
  /** Each checked with checkIdentifier; each must exist on the source. */
  databases: string[];
  /** Connection pairs copying at once, in total, across all tables (default 4). */
  parallelism?: number;
  /**
   * Rows per key range, the unit of parallel work and of resume (default 100,000; a table is cut
   * into at most 64 ranges).
   */
  rangeRows?: number;
  /** Bytes and rows per statement, see batchLimits(). */
  batchBytes?: number;
  batchRows?: number;
  /** The last checkpoint of an interrupted run with the same databases and source. */
  resume?: DatabasesCheckpoint;
  /** Called on every committed batch and step; the caller rate-limits. */
  onProgress?: (progress: DatabasesCopyProgress) => void;
  /** Called after every range, table and object kind with a snapshot; awaited, in order. */
  onCheckpoint?: (checkpoint: DatabasesCheckpoint) => void | Promise<void>;
  /**
   * Cancel or step timeout: no statement starts once it aborts, the row copies and index builds
   * running are stopped with KILL QUERY (each rolled back), and the copy rejects with its reason
   * once they have ended.
   */
  signal?: AbortSignal;
  /** After an abort stopped the row copies: the server threads whose statements were killed. */
  onStopped?: (killedThreads: readonly number[]) => void;
}

export interface DatabasesCopyResult {
  method: CopyMethod;
  /** Biggest first; rows in the destination table, those of earlier runs included. */
  tables: { database: string; table: string; rows: number }[];
  rows: number;
  /** Procedures and functions. */
  routines: number;
  views: number;
  triggers: number;
  events: number;
  durationMs: number;
}

const DEFAULT_RANGE_ROWS = 100_000;
const MAX_RANGES_PER_TABLE = 64;

interface TableJob {
  table: SourceTable;
  createTable: string;
  deferred: DeferredIndex[];
  foreignKeys: ForeignKey[];
  state: 'waiting' | 'planning' | 'copying' | 'loaded' | 'indexing' | 'indexed';
  ranges: KeyRange[];
  boundaries: StoredKeyValue[][];
  pending: KeyRange[];
  inFlight: number;
  doneRanges: number[];
  /** Rows of the ranges done (what the checkpoint records). */
  rows: number;
  /** Rows committed so far, batches of ranges in flight included (for progress). */
  progressRows: number;
  planning: Promise<void> | null;
  copier: RangeCopier | null;
}

type Task = { kind: 'range'; job: TableJob; range: KeyRange } | { kind: 'indexes'; job: TableJob };

/**
 * Copies whole databases from a static source (a stopped read replica) to a server that becomes
 * its replica, like `mysqldump --single-transaction --routines --triggers --databases | mysql`,
 * but parallel across tables and resumable:
 *
 * 1. Reads and checks everything first (names, engines, table kinds, definitions, collations and
 *    engines the destination has, functions its binary log accepts): a refusal changes nothing.
 * 2. Drops and creates each listed database with the source's default character set and
 *    collation, then creates every base table with its exact definition, without its secondary
 *    indexes and foreign keys.
 * 3. Copies rows with `parallelism` workers taking key ranges from all tables, biggest tables
 *    first: a database of many tables takes about its longest table's time, and one big table
 *    still keeps every worker busy. A table whose rows are all in gets its deferred indexes built
 *    by the next free worker, while other tables copy.
 * 4. Adds every foreign key once all rows are in, with foreign_key_checks off (rows were loaded in
 *    key order, not parent first; nothing is re-validated).
 * 5. Creates routines, views, triggers and events (see OBJECT_KINDS for the order and why).
 *
 * A checkpoint follows every range, table and object kind; run again with the last one as
 * `resume`, it skips what is done, empties and recopies the ranges not done, and never drops a
 * database again.
 */
export async function copyDatabases(options: CopyDatabasesOptions): Promise<DatabasesCopyResult> {
  const started = Date.now();
  const databases = checkDatabaseList(options.databases);
  const parallelism = Math.max(1, Math.floor(options.parallelism ?? 4));
  options.signal?.throwIfAborted();
  const inventory = await readSchemaInventory(options.source, databases, parallelism);
  const jobs = inventory.tables.map(newJob);
  await checkDestinationCanHold(options.destination, inventory);
  const flavor = await readServerFlavor(options.destination);
  for (const object of inventory.objects)
    if (object.type === 'EVENT') disabledOnReplica(object.create, flavor, object.key);
  const method = await chooseMethod(options.destination, 'auto');
  const limits = await batchLimits(options.destination, method, options);
  const checkpoint = options.resume
    ? checkResume(options.resume, databases, new Set(jobs.map((job) => job.table.key)))
    : newCheckpoint(databases);
  options.signal?.throwIfAborted();
  const run = new DatabasesCopy(options, inventory, jobs, checkpoint, flavor, {
    started,
    method,
    ...limits,
    parallelism,
  });
  return run.run();
}

/** A table's job with its creation statement; an unexpected definition is refused here. */
function newJob(table: SourceTable): TableJob {
  const { createTable, deferred, foreignKeys } = baseTableDefinition(
    table.createTable,
    table.database,
    table.table,
    {
      key: table.shape.key?.name ?? null,
      autoIncrementColumn: table.shape.columns.find((c) => c.autoIncrement)?.name ?? null,
    },
  );
  return {
    table,
    createTable,
    deferred,
    foreignKeys,
    state: 'waiting',
    ranges: [],
    boundaries: [],
    pending: [],
    inFlight: 0,
    doneRanges: [],
    rows: 0,
    progressRows: 0,
    planning: null,
    copier: null,
  };
}

class DatabasesCopy {
  private readonly abort = new AbortController();
  private readonly statements: StoppableStatements;
  private readonly resumed: boolean;
  private readonly rowsBefore: number;
  private rowsThisRun = 0;
  private objectsPhase = false;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: CopyDatabasesOptions,
    private readonly inventory: SchemaInventory,
    private readonly jobs: TableJob[],
    private readonly checkpoint: DatabasesCheckpoint,
    private readonly flavor: ServerFlavor,
    private readonly settings: {
      /** When copyDatabases() was called: durations and rates count the inventory too. */
      started: number;
      method: CopyMethod;
      batchBytes: number;
      batchRows: number;
      parallelism: number;
    },
  ) {
    this.resumed = options.resume !== undefined;
    this.statements = new StoppableStatements(options.destination);
    if (!checkpoint.tablesCreated) checkpoint.tables = {};
    for (const job of jobs) this.restore(job);
    this.rowsBefore = jobs.reduce((sum, job) => sum + job.rows, 0);
  }

  async run(): Promise<DatabasesCopyResult> {
    const { signal } = this.options;
    this.report();
    await this.prepareDatabases();
    await this.createTables();
    await this.copyTables();
    await this.addForeignKeys();
    this.objectsPhase = true;
    for (const kind of OBJECT_KINDS) {
      if (this.checkpoint.objects.includes(kind)) continue;
      signal?.throwIfAborted();
      this.report();
      await createSchemaObjects(
        this.options.destination,
        this.inventory.objects.filter((object) => object.kind === kind),
        this.flavor,
      );
      this.checkpoint.objects.push(kind);
      await this.save();
    }
    this.report(true);
    const count = (kind: (typeof OBJECT_KINDS)[number]) =>
      this.inventory.objects.filter((object) => object.kind === kind).length;
    return {
      method: this.settings.method,
      tables: this.jobs.map((job) => ({
        database: job.table.database,
        table: job.table.table,
        rows: job.rows,
      })),
      rows: this.jobs.reduce((sum, job) => sum + job.rows, 0),
      routines: count('routines'),
      views: count('views'),
      triggers: count('triggers'),
      events: count('events'),
      durationMs: Date.now() - this.settings.started,
    };
  }

  /** A job's state from the checkpoint of the run it resumes. */
  private restore(job: TableJob): void {
    const saved = this.checkpoint.tables[job.table.key];
    if (saved === undefined) return;
    job.rows = saved.rows;
    job.progressRows = saved.rows;
    if (saved.state !== 'copying') {
      job.state = saved.state;
      return;
    }
    job.boundaries = saved.boundaries ?? [];
    job.ranges = loadRanges(job.boundaries);
    job.doneRanges = [...(saved.doneRanges ?? [])];
    const done = new Set(job.doneRanges);
    job.pending = job.ranges.filter((range) => !done.has(range.index));
    job.state = job.pending.length > 0 ? 'copying' : 'loaded';
    job.copier = this.copier(job);
  }

  /** DROP and CREATE each database, once: a resumed run never drops again. */
  private async prepareDatabases(): Promise<void> {
    if (this.checkpoint.prepared) return;
    await withSchemaSession(this.options.destination, 'destination', async (conn) => {
      for (const database of this.inventory.databases) {
        this.options.signal?.throwIfAborted();
        const name = quoteIdentifier(database.name);
        await conn.query(`DROP DATABASE IF EXISTS ${name}`);
        await conn.query(
          `CREATE DATABASE ${name} CHARACTER SET ${checkIdentifier(database.characterSet)} COLLATE ${checkIdentifier(database.collation)}`,
        );
      }
    });
    this.checkpoint.prepared = true;
    await this.save();
  }

  /** Creates every base table; a resumed run first drops those an interrupted one left (empty). */
  private async createTables(): Promise<void> {
    if (this.checkpoint.tablesCreated) return;
    await withSchemaSession(this.options.destination, 'destination', async (conn) => {
      for (const job of this.jobs) {
        this.options.signal?.throwIfAborted();
        if (this.resumed)
          await conn.query(
            `DROP TABLE IF EXISTS ${qualifiedTable(job.table.database, job.table.table)}`,
          );
        await conn.query(job.createTable);
      }
    });
    this.checkpoint.tablesCreated = true;
    await this.save();
  }

  /** The shared workers over every table's ranges and index builds; see copyDatabases(). */
  private async copyTables(): Promise<void> {
    const { signal } = this.options;
    const stop = () => this.abort.abort(signal?.reason);
    signal?.addEventListener('abort', stop, { once: true });
    if (signal?.aborted) stop();
    try {
      // A failed worker aborts too: the others' statements are killed, the copy fails with its error.
      await stopOnAbort(this.abort.signal, this.statements, async () => {
        const outcomes = await Promise.allSettled(
          Array.from({ length: this.settings.parallelism }, () =>
            this.work().catch((error: unknown) => {
              this.abort.abort(error);
              throw error;
            }),
          ),
        );
        const failure = outcomes.find((outcome) => outcome.status === 'rejected');
        if (failure) throw failure.reason;
      });
    } catch (error) {
      if (signal?.aborted) this.options.onStopped?.(this.statements.killed);
      throw error;
    } finally {
      signal?.removeEventListener('abort', stop);
    }
    signal?.throwIfAborted();
    this.report();
  }

  private async work(): Promise<void> {
    for (;;) {
      this.abort.signal.throwIfAborted();
      const task = await this.nextTask();
      if (task === null) return;
      if (task.kind === 'range') await this.copyOneRange(task.job, task.range);
      else await this.buildIndexes(task.job);
    }
  }

  /**
   * Index builds first (they free a finished table), then the next range of the biggest table
   * with ranges left, else the next table is planned. Null when nothing is left to start: the
   * worker that finishes a table's last range builds its indexes itself.
   */
  private async nextTask(): Promise<Task | null> {
    for (;;) {
      this.abort.signal.throwIfAborted();
      const loaded = this.jobs.find((job) => job.state === 'loaded');
      if (loaded) {
        loaded.state = 'indexing';
        return { kind: 'indexes', job: loaded };
      }
      const copying = this.jobs.find((job) => job.state === 'copying' && job.pending.length > 0);
      if (copying) {
        copying.inFlight += 1;
        return { kind: 'range', job: copying, range: copying.pending.shift()! };
      }
      const waiting = this.jobs.find((job) => job.state === 'waiting');
      if (waiting) {
        await this.plan(waiting);
        continue;
      }
      const planning = this.jobs.flatMap((job) => (job.planning ? [job.planning] : []));
      if (planning.length === 0) return null;
      await Promise.race(planning);
    }
  }

  /** Cuts a table into ranges of about `rangeRows` rows (at least one, at most 64). */
  private plan(job: TableJob): Promise<void> {
    job.state = 'planning';
    const rangeRows = Math.max(1, Math.floor(this.options.rangeRows ?? DEFAULT_RANGE_ROWS));
    const count = Math.min(
      MAX_RANGES_PER_TABLE,
      Math.max(1, Math.ceil(job.table.estimatedRows / rangeRows)),
    );
    job.planning = planKeyRanges(this.options.source, job.table.shape, count)
      .then((ranges) => {
        job.ranges = ranges;
        job.boundaries = storeBoundaries(ranges);
        job.pending = [...ranges];
        job.copier = this.copier(job);
        job.state = 'copying';
      })
      .finally(() => {
        job.planning = null;
      });
    return job.planning;
  }

  private copier(job: TableJob): RangeCopier {
    return {
      source: this.options.source,
      destination: this.options.destination,
      shape: job.table.shape,
      target: qualifiedTable(job.table.database, job.table.table),
      method: this.settings.method,
      batchBytes: this.settings.batchBytes,
      batchRows: this.settings.batchRows,
      // A resumed run may find rows of ranges it has no record of: each range is emptied first.
      emptyFirst: this.resumed,
      signal: this.abort.signal,
      statements: this.statements,
      onRows: (count) => {
        job.progressRows += count;
        this.rowsThisRun += count;
        this.report();
      },
    };
  }

  private async copyOneRange(job: TableJob, range: KeyRange): Promise<void> {
    const copied = await copyRange(job.copier!, range);
    job.inFlight -= 1;
    job.rows += copied;
    job.doneRanges.push(range.index);
    if (job.pending.length === 0 && job.inFlight === 0) {
      job.state = 'loaded';
      this.checkpoint.tables[job.table.key] = { state: 'loaded', rows: job.rows };
    } else
      this.checkpoint.tables[job.table.key] = {
        state: 'copying',
        rows: job.rows,
        boundaries: job.boundaries,
        doneRanges: [...job.doneRanges].sort((a, b) => a - b),
      };
    await this.save();
  }

  private async buildIndexes(job: TableJob): Promise<void> {
    const session = await openCopySession(this.options.destination, 'destination');
    const uncount = this.statements.add(session.conn);
    try {
      this.abort.signal.throwIfAborted();
      await addDeferredIndexes(
        session.conn,
        { database: job.table.database, table: job.table.table },
        job.deferred,
      );
    } catch (error) {
      session.conn.destroy();
      throw error;
    } finally {
      uncount();
    }
    await session.release();
    job.state = 'indexed';
    this.checkpoint.tables[job.table.key] = { state: 'indexed', rows: job.rows };
    await this.save();
    this.report();
  }

  /**
   * Adds the foreign keys each table does not have yet, per database in a session that has it as
   * default database (a REFERENCES clause names a parent in the same database without it) and
   * foreign_key_checks off: nothing is validated, so no row is refused for its load order.
   */
  private async addForeignKeys(): Promise<void> {
    if (this.checkpoint.foreignKeys) return;
    for (const database of this.inventory.databases) {
      const jobs = this.jobs.filter(
        (job) => job.table.database === database.name && job.foreignKeys.length > 0,
      );
      if (jobs.length === 0) continue;
      this.options.signal?.throwIfAborted();
      await withSchemaSession(this.options.destination, 'destination', async (conn) => {
        await conn.query(`USE ${quoteIdentifier(database.name)}`);
        for (const job of jobs) {
          const [rows] = await conn.query<RowDataPacket[]>(
            `SELECT CONSTRAINT_NAME AS name FROM information_schema.REFERENTIAL_CONSTRAINTS
              WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?`,
            [job.table.database, job.table.table],
          );
          const existing = new Set(
            rows.map((row) => `\`${String(row.name).replace(/`/g, '``')}\``),
          );
          const missing = job.foreignKeys.filter((key) => !existing.has(key.name));
          if (missing.length === 0) continue;
          await conn.query(
            `ALTER TABLE ${qualifiedTable(job.table.database, job.table.table)} ${missing
              .map((key) => `ADD ${key.clause}`)
              .join(', ')}`,
          );
        }
      });
    }
    this.checkpoint.foreignKeys = true;
    await this.save();
  }

  /** Hands a snapshot to onCheckpoint after the previous one was taken. */
  private save(): Promise<void> {
    const snapshot = structuredClone(this.checkpoint);
    const onCheckpoint = this.options.onCheckpoint;
    this.saving = this.saving.then(async () => {
      await onCheckpoint?.(snapshot);
    });
    return this.saving;
  }

  private report(complete = false): void {
    const onProgress = this.options.onProgress;
    if (!onProgress) return;
    const elapsedMs = Date.now() - this.settings.started;
    const rows = this.rowsBefore + this.rowsThisRun;
    const estimatedRows = complete
      ? rows
      : this.jobs.reduce(
          (sum, job) => sum + Math.max(job.table.estimatedRows, job.progressRows, job.rows),
          0,
        );
    const rowsIn = this.jobs.every((job) => ['loaded', 'indexing', 'indexed'].includes(job.state));
    onProgress({
      phase: this.objectsPhase ? 'objects' : rowsIn ? 'indexes' : 'tables',
      rows,
      estimatedRows,
      percent: complete
        ? 100
        : estimatedRows === 0
          ? 0
          : Math.min(99.9, Math.floor((rows / estimatedRows) * 1000) / 10),
      etaMs: complete
        ? 0
        : this.rowsThisRun === 0
          ? null
          : Math.round((elapsedMs / this.rowsThisRun) * Math.max(0, estimatedRows - rows)),
      tablesDone: this.jobs.filter((job) => job.state === 'indexed').length,
      tablesTotal: this.jobs.length,
      elapsedMs,
    });
  }
}
