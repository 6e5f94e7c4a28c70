import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { migrate, type Migration } from '../audit/migrations';
import { ErrorCode, OpsdeckError } from '../errors';
import { qualifiedTable } from '../mysql/sql-identifier';

/**
 * Every deploy's app, env, ref, actor, start, end, outcome and hosts, in MySQL: what `/deploy
 * status` (what is deployed where now) and `/deploy history` read. Keyed by job id, so recording
 * is idempotent: a resumed job recording its start again changes nothing, and the first recorded
 * finish stays. The table is created by versioned migrations (scope `deploy:<table>` in
 * `schema_migrations`, the audit store's mechanism). Identifiers are checked and quoted, values
 * are parameters.
 */

export type DeployOutcome = 'succeeded' | 'failed' | 'cancelled';

/** A deploy of a new ref, or a rollback to one that succeeded there before. */
export type DeployKind = 'deploy' | 'rollback';

export interface DeployStart {
  jobId: string;
  kind: DeployKind;
  app: string;
  env: string;
  ref: string;
  actor: { id: string; name: string };
  /** Epoch ms. */
  startedAt: number;
  hostsTotal: number;
  /** An emergency (break glass): its reason and what it overrode besides the approval. */
  emergency?: DeployEmergency;
}

export interface DeployEmergency {
  reason: string;
  overrides: string[];
}

export interface DeployFinish {
  finishedAt: number;
  outcome: DeployOutcome;
  hostsOk: readonly string[];
  hostsFailed: readonly string[];
  /** Hosts never started (threshold, cancel) or stopped by the cancel. */
  hostsNotRun: readonly string[];
}

export interface DeployRecord extends DeployStart {
  finishedAt: number | null;
  outcome: DeployOutcome | null;
  hostsOk: string[];
  hostsFailed: string[];
  hostsNotRun: string[];
}

export const DEPLOY_HISTORY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create the deploy history table',
    statements: (table) => [
      `CREATE TABLE IF NOT EXISTS ${table} (
        job_id VARCHAR(128) NOT NULL,
        app VARCHAR(64) NOT NULL,
        env VARCHAR(64) NOT NULL,
        ref VARCHAR(255) NOT NULL,
        actor_id VARCHAR(64) NOT NULL,
        actor_name VARCHAR(255) NOT NULL,
        started_at_ms BIGINT NOT NULL,
        finished_at_ms BIGINT NULL,
        outcome VARCHAR(16) NULL,
        hosts_total INT NOT NULL,
        hosts_ok INT NULL,
        hosts_failed INT NULL,
        hosts_json MEDIUMTEXT NULL,
        PRIMARY KEY (job_id),
        KEY ix_app_env_started (app, env, started_at_ms),
        KEY ix_app_env_outcome (app, env, outcome, finished_at_ms)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    ],
  },
  {
    version: 2,
    name: "each host's result and full output, kept with the deploy",
    statements: (table) => [
      `CREATE TABLE IF NOT EXISTS ${outputTableOf(table)} (
        job_id VARCHAR(128) NOT NULL,
        host VARCHAR(255) NOT NULL,
        ok TINYINT(1) NOT NULL,
        exit_code INT NULL,
        signal_name VARCHAR(16) NULL,
        started_at_ms BIGINT NOT NULL,
        duration_ms BIGINT NOT NULL,
        output_bytes BIGINT NOT NULL,
        output_truncated TINYINT(1) NOT NULL,
        output MEDIUMBLOB NOT NULL,
        PRIMARY KEY (job_id, host)
      ) ENGINE=InnoDB`,
    ],
  },
  {
    version: 3,
    name: 'index the host output by start, for deleting what is past retention',
    statements: (table) => [
      `ALTER TABLE ${outputTableOf(table)} ADD INDEX ix_started (started_at_ms)`,
    ],
  },
  {
    version: 4,
    name: 'what a deploy was: a deploy or a rollback',
    statements: (table) => [
      `ALTER TABLE ${table} ADD COLUMN kind VARCHAR(16) NOT NULL DEFAULT 'deploy' AFTER job_id`,
    ],
  },
  {
    version: 5,
    name: 'an emergency deploy: its reason and what it overrode',
    statements: (table) => [`ALTER TABLE ${table} ADD COLUMN emergency_json TEXT NULL AFTER kind`],
  },
];

/** The host output table beside the history table: `db`.`<table>_output`. */
function outputTableOf(qualifiedHistoryTable: string): string {
  return qualifiedHistoryTable.replace(/`$/, '_output`');
}

/** One host's run, as kept with the deploy. */
export interface HostOutputRecord {
  host: string;
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  startedAt: number;
  durationMs: number;
  /** What the command wrote, also past the cap. */
  outputBytes: number;
  outputTruncated: boolean;
  output: Buffer;
}

/** Deploys read at a time when looking for what hosts run. */
const REFS_PAGE = 100;

const COLUMNS =
  'job_id, kind, emergency_json, app, env, ref, actor_id, actor_name, started_at_ms, finished_at_ms, outcome, hosts_total, hosts_json';

export class DeployHistory {
  private readonly table: string;
  private readonly outputTable: string;
  private migrated: Promise<unknown> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly options: { database: string; table: string },
  ) {
    this.table = qualifiedTable(options.database, options.table);
    this.outputTable = outputTableOf(this.table);
  }

  /** Migrates once, on first use (again after a failure). */
  private async ready(): Promise<void> {
    this.migrated ??= this.migrate().catch((error: unknown) => {
      this.migrated = undefined;
      throw error;
    });
    await this.migrated;
  }

  /** Keeps one host's result and output (a repeat for the same job and host replaces it). */
  async recordHostOutput(jobId: string, record: HostOutputRecord): Promise<void> {
    await this.ready();
    await this.pool.query(
      `REPLACE INTO ${this.outputTable}
         (job_id, host, ok, exit_code, signal_name, started_at_ms, duration_ms, output_bytes, output_truncated, output)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        jobId,
        record.host,
        record.ok,
        record.exitCode,
        record.signal,
        record.startedAt,
        record.durationMs,
        record.outputBytes,
        record.outputTruncated,
        record.output,
      ],
    );
  }

  /**
   * Deletes hosts' kept output of runs that started before `before` (epoch ms), at most `limit`
   * rows at a time (a big backlog goes over several calls); returns how many went.
   */
  async pruneHostOutput(before: number, limit = 1000): Promise<number> {
    await this.ready();
    const [result] = await this.pool.query<ResultSetHeader>(
      `DELETE FROM ${this.outputTable} WHERE started_at_ms < ? LIMIT ?`,
      [before, limit],
    );
    return result.affectedRows;
  }

  /** A host's kept result and output, or null. */
  async hostOutput(jobId: string, host: string): Promise<HostOutputRecord | null> {
    await this.ready();
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT host, ok, exit_code, signal_name, started_at_ms, duration_ms, output_bytes, output_truncated, output
         FROM ${this.outputTable} WHERE job_id = ? AND host = ?`,
      [jobId, host],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      host: String(row.host),
      ok: Boolean(row.ok),
      exitCode: row.exit_code === null ? null : Number(row.exit_code),
      signal: row.signal_name === null ? null : String(row.signal_name),
      startedAt: Number(row.started_at_ms),
      durationMs: Number(row.duration_ms),
      outputBytes: Number(row.output_bytes),
      outputTruncated: Boolean(row.output_truncated),
      output: Buffer.from(row.output as Buffer),
    };
  }

  /** Applies pending migrations; the versions applied now. */
  migrate(): Promise<number[]> {
    return migrate(
      this.pool,
      this.options.database,
      this.options.table,
      DEPLOY_HISTORY_MIGRATIONS,
      30,
      'deploy',
    );
  }

  /** Records a deploy's start; a second call for the same job changes nothing. */
  async recordStart(start: DeployStart): Promise<void> {
    await this.ready();
    await this.pool.query(
      `INSERT INTO ${this.table} (job_id, kind, emergency_json, app, env, ref, actor_id, actor_name, started_at_ms, hosts_total)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE job_id = job_id`,
      [
        start.jobId,
        start.kind,
        start.emergency === undefined ? null : JSON.stringify(start.emergency),
        start.app,
        start.env,
        start.ref,
        start.actor.id,
        start.actor.name,
        start.startedAt,
        start.hostsTotal,
      ],
    );
  }

  /**
   * Records the end; the first finish recorded stays ('already-finished' for later ones).
   * Throws OPSDECK_DEPLOY_HISTORY_MISSING when the start was never recorded.
   */
  async recordFinish(
    jobId: string,
    finish: DeployFinish,
  ): Promise<'recorded' | 'already-finished'> {
    await this.ready();
    const hosts = {
      ok: [...finish.hostsOk],
      failed: [...finish.hostsFailed],
      notRun: [...finish.hostsNotRun],
    };
    const [result] = await this.pool.query<ResultSetHeader>(
      `UPDATE ${this.table}
       SET finished_at_ms = ?, outcome = ?, hosts_ok = ?, hosts_failed = ?, hosts_json = ?
       WHERE job_id = ? AND finished_at_ms IS NULL`,
      [
        finish.finishedAt,
        finish.outcome,
        hosts.ok.length,
        hosts.failed.length,
        JSON.stringify(hosts),
        jobId,
      ],
    );
    if (result.affectedRows === 1) return 'recorded';
    if (await this.get(jobId)) return 'already-finished';
    throw new OpsdeckError(
      ErrorCode.DeployHistoryMissing,
      `no deploy started with job id ${JSON.stringify(jobId)} in the history`,
    );
  }

  async get(jobId: string): Promise<DeployRecord | null> {
    await this.ready();
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT ${COLUMNS} FROM ${this.table} WHERE job_id = ?`,
      [jobId],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /**
   * What is deployed where now: the last successful deploy of each app+env (of one app, or one
   * app+env, when given), by app and env.
   */
  async current(filter: { app?: string; env?: string } = {}): Promise<DeployRecord[]> {
    await this.ready();
    const where = ["outcome = 'succeeded'"];
    const params: string[] = [];
    if (filter.app !== undefined) {
      where.push('app = ?');
      params.push(filter.app);
    }
    if (filter.env !== undefined) {
      where.push('env = ?');
      params.push(filter.env);
    }
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT ${COLUMNS} FROM (
         SELECT ${COLUMNS}, ROW_NUMBER() OVER (
           PARTITION BY app, env ORDER BY finished_at_ms DESC, job_id DESC) AS n
         FROM ${this.table} WHERE ${where.join(' AND ')}
       ) AS latest WHERE n = 1 ORDER BY app, env`,
      params,
    );
    return rows.map(toRecord);
  }

  /** Deploys not finished (running, or their worker died before recording the end). */
  async unfinished(): Promise<DeployRecord[]> {
    await this.ready();
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT ${COLUMNS} FROM ${this.table} WHERE finished_at_ms IS NULL ORDER BY started_at_ms`,
    );
    return rows.map(toRecord);
  }

  /**
   * What each of `hosts` runs now: the ref of the last finished deploy of app+env (whatever its
   * outcome) that ended ok on that host; hosts never deployed there are absent.
   */
  async refsOnHosts(
    app: string,
    env: string,
    hosts: readonly string[],
  ): Promise<Map<string, string>> {
    await this.ready();
    const wanted = new Set(hosts);
    const found = new Map<string, string>();
    // Newest first, a page at a time (keyset: finished, then job id), until every host is placed
    // or the history ends.
    let after: { finishedAt: number; jobId: string } | undefined;
    for (;;) {
      const [rows] = await this.pool.query<RowDataPacket[]>(
        `SELECT ${COLUMNS} FROM ${this.table}
         WHERE app = ? AND env = ? AND finished_at_ms IS NOT NULL
           ${after ? 'AND (finished_at_ms < ? OR (finished_at_ms = ? AND job_id < ?))' : ''}
         ORDER BY finished_at_ms DESC, job_id DESC LIMIT ${REFS_PAGE}`,
        after ? [app, env, after.finishedAt, after.finishedAt, after.jobId] : [app, env],
      );
      for (const record of rows.map(toRecord)) {
        for (const host of record.hostsOk)
          if (wanted.has(host) && !found.has(host)) found.set(host, record.ref);
        after = { finishedAt: record.finishedAt!, jobId: record.jobId };
      }
      if (rows.length < REFS_PAGE || found.size === wanted.size) return found;
    }
  }

  /**
   * What a rollback of app+env goes back to: the ref of the last deploy that succeeded before the
   * current one (the last succeeded) with another ref; undefined when there is none. Also the
   * current ref.
   */
  async previousRef(
    app: string,
    env: string,
  ): Promise<{ current: string | undefined; previous: string | undefined }> {
    await this.ready();
    const [current] = await this.current({ app, env });
    if (!current) return { current: undefined, previous: undefined };
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT ref FROM ${this.table}
       WHERE app = ? AND env = ? AND outcome = 'succeeded' AND ref <> ?
       ORDER BY finished_at_ms DESC, job_id DESC LIMIT 1`,
      [app, env, current.ref],
    );
    return { current: current.ref, previous: rows[0] ? String(rows[0].ref) : undefined };
  }

  /** Of `envs`, those where a deploy of app at `ref` succeeded. */
  async succeededIn(app: string, envs: readonly string[], ref: string): Promise<string[]> {
    if (envs.length === 0) return [];
    await this.ready();
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT DISTINCT env FROM ${this.table}
       WHERE app = ? AND ref = ? AND outcome = 'succeeded' AND env IN (?)`,
      [app, ref, [...envs]],
    );
    const found = new Set(rows.map((row) => String(row.env)));
    return envs.filter((env) => found.has(env));
  }

  /** The last `limit` deploys of app+env, newest first, whatever their outcome. */
  async last(app: string, env: string, limit = 10): Promise<DeployRecord[]> {
    await this.ready();
    const n = Math.max(1, Math.min(1000, Math.trunc(limit)));
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT ${COLUMNS} FROM ${this.table} WHERE app = ? AND env = ?
       ORDER BY started_at_ms DESC, job_id DESC LIMIT ?`,
      [app, env, n],
    );
    return rows.map(toRecord);
  }
}

function toRecord(row: RowDataPacket): DeployRecord {
  const hosts = row.hosts_json
    ? (JSON.parse(String(row.hosts_json)) as { ok: string[]; failed: string[]; notRun: string[] })
    : { ok: [], failed: [], notRun: [] };
  return {
    jobId: String(row.job_id),
    kind: String(row.kind) as DeployKind,
    ...(row.emergency_json !== null && {
      emergency: JSON.parse(String(row.emergency_json)) as DeployEmergency,
    }),
    app: String(row.app),
    env: String(row.env),
    ref: String(row.ref),
    actor: { id: String(row.actor_id), name: String(row.actor_name) },
    startedAt: Number(row.started_at_ms),
    hostsTotal: Number(row.hosts_total),
    finishedAt: row.finished_at_ms === null ? null : Number(row.finished_at_ms),
    outcome: (row.outcome as DeployOutcome | null) ?? null,
    hostsOk: hosts.ok,
    hostsFailed: hosts.failed,
    hostsNotRun: hosts.notRun,
  };
}
