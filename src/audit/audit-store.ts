import { createHash } from 'node:crypto';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { describeError, ErrorCode, OpsdeckError } from '../errors';
import type { OpsdeckConfig } from '../config/schema';
import {
  prepareEvent,
  type AuditEventInput,
  type AuditRow,
  type PreparedEvent,
} from './audit-event';
import { chainHash, GENESIS_HASH } from './hash-chain';
import { AUDIT_MIGRATIONS, auditAccountGrants, migrate } from './migrations';
import { loadMysqlTls } from '../mysql/connection-tls';
import { createMysqlPool } from '../mysql/mysql-pool';
import type { GrantsFor } from '../mysql/own-database';
import { qualifiedTable } from '../mysql/sql-identifier';
import { auditConnection } from './audit-connection';

/**
 * The audit trail in MySQL: append-only, one hash chain. Appends from every process are
 * serialized with a named lock (`GET_LOCK`, which needs no privilege), so each row links to the
 * row written just before it; the primary key on `seq` and the unique `prev_hash` make a
 * fork impossible even without the lock. An append with an `eventId` already stored returns the
 * stored row, so retrying an event whose first attempt did land is harmless.
 */

export interface AuditQuery {
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  /** Slack user id or name of the actor. */
  actor?: string;
  command?: string;
  jobIds?: readonly string[];
  limit?: number;
}

export interface AuditStoreOptions {
  database: string;
  table: string;
  /** What an administrator grants the store's account when the database is missing (see own-database.ts). */
  grants?: GrantsFor;
  lockTimeoutSeconds: number;
  queryTimeoutMs: number;
}

const COLUMNS =
  'seq, event_id, ts_ms, type, actor_id, actor_name, channel_id, channel_name, command, target, job_id, step, args_json, detail_json, prev_hash, hash';
const ROW_PLACEHOLDERS = COLUMNS.split(',')
  .map(() => '?')
  .join(', ');
/** Most events written by one INSERT (group commit). */
const MAX_BATCH = 200;

interface PendingAppend {
  event: PreparedEvent;
  resolve(row: AuditRow): void;
  reject(error: unknown): void;
}

export class AuditStore {
  private readonly table: string;
  private readonly lockName: string;
  private readonly pending: PendingAppend[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly options: AuditStoreOptions,
  ) {
    this.table = qualifiedTable(options.database, options.table);
    const digest = createHash('sha256')
      .update(`${options.database}.${options.table}`)
      .digest('hex');
    this.lockName = `opsdeck.audit.${digest.slice(0, 40)}`;
  }

  /** A store on the configured server; call `close()` when done. */
  static fromConfig(
    config: Pick<OpsdeckConfig, 'mysql' | 'audit'>,
    env: NodeJS.ProcessEnv = process.env,
  ): AuditStore {
    const conn = auditConnection(config, env);
    const pool = createMysqlPool(
      {
        name: 'audit',
        host: conn.host,
        port: conn.port,
        user: conn.user,
        ...(conn.password !== undefined && { password: conn.password }),
        tls: loadMysqlTls('audit', config.mysql.tls),
      },
      {
        connectionLimit: 4,
        connectTimeout: config.audit.connectTimeoutMs,
        charset: 'UTF8MB4_BIN',
        supportBigNumbers: true,
        enableKeepAlive: true,
      },
    );
    return new AuditStore(pool, {
      database: conn.database,
      table: conn.table,
      // An audit account of its own has only INSERT and SELECT (see migrations.ts): an
      // administrator creates the tables, not it.
      ...(config.audit.user !== undefined && { grants: auditAccountGrants(conn.table) }),
      lockTimeoutSeconds: config.audit.lockTimeoutSeconds,
      queryTimeoutMs: config.audit.queryTimeoutMs,
    });
  }

  /** Applies pending migrations (see migrations.ts); the versions applied now. */
  async migrate(): Promise<number[]> {
    return this.guard('migrate', () =>
      migrate(
        this.pool,
        this.options.database,
        this.options.table,
        AUDIT_MIGRATIONS,
        30,
        'audit',
        this.options.grants,
      ),
    );
  }

  async append(input: AuditEventInput): Promise<AuditRow> {
    return this.appendPrepared(prepareEvent(input));
  }

  /**
   * Appends an event already prepared (redacted, canonical), e.g. one taken from the spool.
   *
   * Group commit: appends that arrive while a write is under way are written together by the
   * next one, under one lock and one multi-row INSERT, so a burst of commands costs a few lock
   * round trips instead of one each. If a batch fails, its events are retried one by one, so
   * one bad event cannot fail the others.
   */
  async appendPrepared(event: PreparedEvent): Promise<AuditRow> {
    return new Promise<AuditRow>((resolve, reject) => {
      this.pending.push({ event, resolve, reject });
      if (!this.flushing) this.flushing = this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      try {
        const rows = await this.guard('append', () => this.appendBatch(batch.map((p) => p.event)));
        batch.forEach((p, i) => p.resolve(rows[i]!));
      } catch (error) {
        if (batch.length === 1) {
          batch[0]!.reject(error);
          continue;
        }
        for (const p of batch) {
          await this.guard('append', () => this.appendBatch([p.event])).then(
            ([row]) => p.resolve(row!),
            (single: unknown) => p.reject(single),
          );
        }
      }
    }
    this.flushing = null;
  }

  private async appendBatch(events: PreparedEvent[]): Promise<AuditRow[]> {
    const conn = await this.pool.getConnection();
    let reusable = false;
    try {
      const rows = await this.appendLocked(conn, events);
      reusable = true;
      return rows;
    } finally {
      // A connection that failed mid-way may still hold the lock: close it, which frees it.
      if (reusable) conn.release();
      else conn.destroy();
    }
  }

  private async appendLocked(conn: PoolConnection, events: PreparedEvent[]): Promise<AuditRow[]> {
    const timeout = this.options.queryTimeoutMs;
    const [locked] = await conn.query<RowDataPacket[]>({
      sql: 'SELECT GET_LOCK(?, ?) AS got',
      values: [this.lockName, this.options.lockTimeoutSeconds],
      timeout: timeout + this.options.lockTimeoutSeconds * 1000,
    });
    if (locked[0]?.got !== 1) {
      throw new Error(
        `the audit chain lock was not free within ${this.options.lockTimeoutSeconds} s`,
      );
    }
    const ids = [...new Set(events.map((e) => e.eventId))];
    const [existing] = await conn.query<RowDataPacket[]>({
      sql: `SELECT ${COLUMNS} FROM ${this.table} WHERE event_id IN (${ids.map(() => '?').join(', ')})`,
      values: ids,
      timeout,
    });
    const byId = new Map(existing.map((r) => [String(r.event_id), toRow(r)]));
    const [last] = await conn.query<RowDataPacket[]>({
      sql: `SELECT seq, hash FROM ${this.table} ORDER BY seq DESC LIMIT 1`,
      timeout,
    });
    let prevHash = last[0] ? String(last[0].hash) : GENESIS_HASH;
    let seq = last[0] ? Number(last[0].seq) : 0;
    const fresh: AuditRow[] = [];
    const rows = events.map((event) => {
      const known = byId.get(event.eventId);
      if (known) return known;
      seq += 1;
      const row: AuditRow = { ...event, seq, prevHash, hash: chainHash(prevHash, event) };
      prevHash = row.hash;
      byId.set(event.eventId, row);
      fresh.push(row);
      return row;
    });
    if (fresh.length > 0) {
      await conn.query({
        sql: `INSERT INTO ${this.table} (${COLUMNS}) VALUES ${fresh.map(() => `(${ROW_PLACEHOLDERS})`).join(', ')}`,
        values: fresh.flatMap((row) => [
          row.seq,
          row.eventId,
          row.at,
          row.type,
          row.actorId,
          row.actorName,
          row.channelId,
          row.channelName,
          row.command,
          row.target,
          row.jobId,
          row.step,
          row.argsJson,
          row.detailJson,
          row.prevHash,
          row.hash,
        ]),
        timeout,
      });
    }
    await conn.query({ sql: 'SELECT RELEASE_LOCK(?)', values: [this.lockName], timeout });
    return rows;
  }

  /** Events in time order (then chain order), filtered; `actor` matches id or name. */
  async query(filter: AuditQuery = {}): Promise<AuditRow[]> {
    const conditions: [string, unknown[]][] = [];
    if (filter.since !== undefined) conditions.push(['ts_ms >= ?', [filter.since]]);
    if (filter.until !== undefined) conditions.push(['ts_ms < ?', [filter.until]]);
    if (filter.actor !== undefined) {
      conditions.push(['(actor_id = ? OR actor_name = ?)', [filter.actor, filter.actor]]);
    }
    if (filter.command !== undefined) conditions.push(['command = ?', [filter.command]]);
    if (filter.jobIds !== undefined) {
      if (filter.jobIds.length === 0) return [];
      conditions.push([
        `job_id IN (${filter.jobIds.map(() => '?').join(', ')})`,
        [...filter.jobIds],
      ]);
    }
    const where = conditions.map(([sql]) => sql);
    const values = conditions.flatMap(([, params]) => params);
    const limit = filter.limit ?? 100_000;
    return this.select(
      `SELECT ${COLUMNS} FROM ${this.table}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ts_ms, seq LIMIT ?`,
      [...values, limit],
    );
  }

  async jobEvents(jobId: string): Promise<AuditRow[]> {
    return this.query({ jobIds: [jobId] });
  }

  /** Names this trail (`<database>.<table>`) in its digests. */
  get trail(): string {
    return `${this.options.database}.${this.options.table}`;
  }

  /** Every row in chain order (those after `after`), read a page at a time (for verification). */
  async *rowsInOrder(pageSize = 1000, after = 0): AsyncGenerator<AuditRow> {
    for (;;) {
      const page = await this.select(
        `SELECT ${COLUMNS} FROM ${this.table} WHERE seq > ? ORDER BY seq LIMIT ?`,
        [after, pageSize],
      );
      yield* page;
      if (page.length < pageSize) return;
      after = page[page.length - 1]!.seq;
    }
  }

  /** The row numbered `seq`, or null. */
  async rowAt(seq: number): Promise<AuditRow | null> {
    const rows = await this.select(`SELECT ${COLUMNS} FROM ${this.table} WHERE seq = ?`, [seq]);
    return rows[0] ?? null;
  }

  /** Throws AuditUnavailable unless the table can be read now (connectivity and SELECT). */
  async probe(): Promise<void> {
    await this.select(`SELECT ${COLUMNS} FROM ${this.table} ORDER BY seq DESC LIMIT ?`, [1]);
  }

  /**
   * Ends the pool. A connection still being tried to an unreachable server makes mysql2's end()
   * reject with that connect error; there is nothing left to close then, so it is not a failure.
   */
  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }

  private async select(sql: string, values: unknown[]): Promise<AuditRow[]> {
    return this.guard('read', async () => {
      const [rows] = await this.pool.query<RowDataPacket[]>({
        sql,
        values,
        timeout: this.options.queryTimeoutMs,
      });
      return rows.map(toRow);
    });
  }

  private async guard<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new OpsdeckError(
        ErrorCode.AuditUnavailable,
        `audit store ${what} failed: ${describeError(error)}`,
        { cause: error, retryable: true },
      );
    }
  }
}

function toRow(row: RowDataPacket): AuditRow {
  const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
  return {
    seq: Number(row.seq),
    eventId: String(row.event_id),
    at: Number(row.ts_ms),
    type: row.type,
    actorId: text(row.actor_id),
    actorName: text(row.actor_name),
    channelId: text(row.channel_id),
    channelName: text(row.channel_name),
    command: text(row.command),
    target: text(row.target),
    jobId: text(row.job_id),
    step: text(row.step),
    argsJson: text(row.args_json),
    detailJson: text(row.detail_json),
    prevHash: String(row.prev_hash),
    hash: String(row.hash),
  };
}
