import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql, { type Pool, type ResultSetHeader, type RowDataPacket } from 'mysql2/promise';
import { openCopySession } from '../../src/mysql/copy-session';
import type { CopyMethod, TableRef } from '../../src/mysql/copy-table';
import { planKeyRanges, rangeCondition } from '../../src/mysql/key-ranges';
import { loadDataSql } from '../../src/mysql/load-data';
import { addDeferredIndexes, createSideTable } from '../../src/mysql/side-table';
import { qualifiedTable, quoteIdentifier } from '../../src/mysql/sql-identifier';
import { readTableShape, type TableShape } from '../../src/mysql/table-shape';
import { verifyCopy } from '../../src/mysql/table-checksum';
import { freePort } from '../../devkit/sandbox/free-port';
import { MariadbSupervisor } from '../../devkit/sandbox/mariadb-process';
import { ensureTemplateDatadir } from '../../devkit/sandbox/template-datadir';
import { createTestDatabase, MYSQL } from '../../test/helpers/services';
import type { EngineJob, EngineOutcome } from './engine-run';

/**
 * bench/copy-table: one table copied between two MariaDB servers by the copy engine and, on the
 * same data in the same run, by `mariadb-dump | mariadb` and by `mydumper` then `myloader`.
 *
 * The source is the shared local MariaDB (127.0.0.1:3307, the "restored instance"); the
 * destination ("production") is a throwaway mariadbd this script starts in a temp dir, with its
 * binary log on as in production: no tool may turn it off (myloader runs with --enable-binlog).
 * The engine runs in a child process, so its peak RSS is its own; it copies a small and the full
 * table, and memory must stay flat between the two; then the full table again with the destination's
 * local_infile turned OFF (RDS for MySQL's and MySQL 8's default), so the engine takes its INSERT
 * path as it does into production. The physical ceiling is measured on the same rows (see
 * ceiling()). Every copy is checked (checksum or count).
 *
 *   npm run bench:copy-table [-- --rows 2000000 --small-rows 200000 --parallelism 4]
 */
const ROWS = Number(argument('--rows') ?? 2_000_000);
const SMALL_ROWS = Number(argument('--small-rows') ?? 200_000);
const PARALLELISM = Number(argument('--parallelism') ?? 4);

const execFileAsync = promisify(execFile);

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

interface Server {
  host: string;
  port: number;
  user: string;
}

interface Measured {
  name: string;
  rows: number;
  seconds: number;
  indexSeconds?: number;
  peakRssBytes?: number;
}

/** Seeds `table` with `rows` rows: an int key, four secondary indexes, text, JSON, bytes, dates. */
async function seed(pool: Pool, table: string, rows: number): Promise<void> {
  const conn = await pool.getConnection();
  try {
    await conn.query('SET SESSION sql_log_bin = 0'); // the bench's own seeding, local only
    await conn.query(`CREATE TABLE ${table} (
      id INT NOT NULL PRIMARY KEY, customer_id INT NOT NULL, number VARCHAR(32) NOT NULL,
      amount DECIMAL(12,2) NOT NULL, status ENUM('draft','sent','paid') NOT NULL,
      issued_at DATETIME(3) NOT NULL, token BINARY(16) NOT NULL, note TEXT NULL, meta JSON NULL,
      KEY (customer_id), KEY (issued_at), KEY (status, amount), UNIQUE KEY (number))`);
    for (let start = 1; start <= rows; start += 100_000) {
      const end = Math.min(rows, start + 99_999);
      await conn.query(`INSERT INTO ${table}
        SELECT seq, seq % 5000, CONCAT('INV-', LPAD(seq, 10, '0')), (seq % 100000) / 100,
               ELT(1 + seq % 3, 'draft', 'sent', 'paid'), '2025-01-01' + INTERVAL seq SECOND,
               UNHEX(MD5(seq)),
               IF(seq % 4 = 0, NULL, REPEAT('note ünïcödé 😀\t\\\\ ', 1 + seq % 8)),
               IF(seq % 2 = 0, NULL, JSON_OBJECT('seq', seq, 'tags', JSON_ARRAY('a', 'b')))
          FROM seq_${start}_to_${end}`);
    }
    await conn.query(`ANALYZE TABLE ${table}`);
  } finally {
    conn.release();
  }
}

/**
 * The physical ceiling: the destination server loads the same rows from files of its own (LOAD
 * DATA INFILE: no client, no network, no SQL text per value), one file per key range on
 * PARALLELISM connections at once, into the table without its secondary indexes, which are then
 * added in one ALTER TABLE, as the engine does. The source server writes the files (SELECT … INTO
 * OUTFILE, in the format of the engine's LOAD DATA) before the clock starts; both servers run on
 * this machine, so the destination reads them from its local disk.
 */
async function ceiling(
  source: Pool,
  destination: Pool,
  shape: TableShape,
  from: TableRef,
  to: TableRef,
  dir: string,
): Promise<Measured> {
  const files = join(dir, 'ceiling');
  await mkdir(files);
  const columns = shape.insertable.map((c) =>
    c.binary ? `HEX(${quoteIdentifier(c.name)})` : quoteIdentifier(c.name),
  );
  const ranges = await planKeyRanges(source, shape, PARALLELISM);
  const paths = await Promise.all(
    ranges.map(async (range) => {
      const path = join(files, `range-${range.index}.tsv`);
      const where = shape.key ? rangeCondition(shape.key, range) : { sql: 'TRUE', params: [] };
      const session = await openCopySession(source, 'source');
      await session.conn.query(
        `SELECT ${columns.join(', ')} FROM ${qualifiedTable(from.database, from.table)}
          WHERE ${where.sql} INTO OUTFILE ? CHARACTER SET utf8mb4`,
        [...where.params, path],
      );
      await session.release();
      return path;
    }),
  );
  const deferred = await createSideTable(source, destination, from, to, {
    key: shape.key?.name ?? null,
    autoIncrementColumn: shape.columns.find((c) => c.autoIncrement)?.name ?? null,
  });
  const started = performance.now();
  const loaded = await Promise.all(
    paths.map(async (path) => {
      const session = await openCopySession(destination, 'destination');
      const [result] = await session.conn.query<ResultSetHeader>(
        loadDataSql(qualifiedTable(to.database, to.table), shape.insertable, path),
      );
      await session.release();
      return result.affectedRows;
    }),
  );
  const indexing = performance.now();
  await addDeferredIndexes(destination, to, deferred);
  const ended = performance.now();
  return {
    name: `LOAD DATA INFILE x${PARALLELISM}`,
    rows: loaded.reduce((sum, rows) => sum + rows, 0),
    seconds: (ended - started) / 1000,
    indexSeconds: (ended - indexing) / 1000,
  };
}

/** A throwaway mariadbd from the sandbox's template datadir, sized for bulk loads. */
async function startDestination(supervisor: MariadbSupervisor, dir: string): Promise<Server> {
  const tmpDir = join(dir, 'tmp');
  const dataDir = join(dir, 'data');
  await ensureTemplateDatadir(supervisor, dataDir, { bufferPoolSize: '256M', tmpDir });
  const port = await freePort();
  await supervisor.start({
    dataDir,
    port,
    serverId: 2,
    bufferPoolSize: '1G',
    binlog: true,
    tmpDir,
    extraArgs: ['--innodb-log-file-size=512M', '--max-connections=100'],
  });
  return { host: '127.0.0.1', port, user: 'root' };
}

function shell(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`)),
    );
  });
}

async function runEngine(job: EngineJob): Promise<EngineOutcome> {
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'engine-run.ts'), JSON.stringify(job)],
    { maxBuffer: 1024 * 1024 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as EngineOutcome;
}

async function hasCommand(name: string): Promise<boolean> {
  try {
    await execFileAsync('bash', ['-c', `command -v ${name}`]);
    return true;
  } catch {
    return false;
  }
}

const connectArgs = (server: Server) => `-h ${server.host} -P ${server.port} -u ${server.user}`;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'opsdeck-bench-copy-'));
  const supervisor = new MariadbSupervisor();
  const sourceDb = await createTestDatabase('bench_copy_src');
  const sourceServer: Server = { ...MYSQL };
  const source = mysql.createPool({ ...MYSQL, database: sourceDb.name, charset: 'utf8mb4' });
  let destination: Pool | undefined;
  try {
    const destinationServer = await startDestination(supervisor, dir);
    destination = mysql.createPool({ ...destinationServer, charset: 'utf8mb4' });
    await destination.query('CREATE DATABASE bench');
    await seed(source, 'invoices_small', SMALL_ROWS);
    await seed(source, 'invoices', ROWS);
    console.log(
      `bench/copy-table: ${ROWS} rows (and ${SMALL_ROWS} for memory), parallelism ${PARALLELISM}, ` +
        `source 127.0.0.1:${MYSQL.port}, destination 127.0.0.1:${destinationServer.port} (binlog on)`,
    );
    const from = (table: string) => ({ database: sourceDb.name, table });
    const to = (table: string) => ({ database: 'bench', table });
    const shape = await readTableShape(source, sourceDb.name, 'invoices');

    const engine = async (
      table: string,
      side: string,
      method: 'auto' | CopyMethod = 'load-data',
    ): Promise<Measured & { method: CopyMethod }> => {
      const outcome = await runEngine({
        source: sourceServer,
        destination: destinationServer,
        from: from(table),
        to: to(side),
        parallelism: PARALLELISM,
        method,
      });
      const verified = await verifyCopy(
        source,
        destination!,
        from(table),
        to(side),
        shape.insertable,
      );
      if (!verified.equal) throw new Error(`engine copy differs: ${JSON.stringify(verified)}`);
      return { name: `engine x${PARALLELISM} ${outcome.method}`, ...outcome };
    };
    const countRows = async (table: string): Promise<number> => {
      const [rows] = await destination!.query<RowDataPacket[]>(
        `SELECT COUNT(*) AS n FROM ${table}`,
      );
      const count = Number(rows[0]?.n);
      if (count !== ROWS) throw new Error(`${table} has ${count} rows, not ${ROWS}`);
      return count;
    };

    const small = await engine('invoices_small', 'invoices_small_engine');
    const full = await engine('invoices', 'invoices_engine');
    await destination.query('SET GLOBAL local_infile = OFF');
    const inserts = await engine('invoices', 'invoices_engine_insert', 'auto');
    await destination.query('SET GLOBAL local_infile = ON');
    if (inserts.method !== 'insert')
      throw new Error(`with local_infile OFF the engine took ${inserts.method}, not insert`);
    const physical = await ceiling(
      source,
      destination,
      shape,
      from('invoices'),
      to('invoices_ceiling'),
      dir,
    );
    const ceilingCheck = await verifyCopy(
      source,
      destination,
      from('invoices'),
      to('invoices_ceiling'),
      shape.insertable,
    );
    if (!ceilingCheck.equal)
      throw new Error(`LOAD DATA INFILE copy differs: ${JSON.stringify(ceilingCheck)}`);

    await destination.query(`CREATE TABLE bench.invoices LIKE bench.invoices_engine`);
    let started = performance.now();
    await shell(
      `mariadb-dump ${connectArgs(sourceServer)} --no-create-info --single-transaction ` +
        `${sourceDb.name} invoices | mariadb ${connectArgs(destinationServer)} bench`,
    );
    const dump: Measured = {
      name: 'mariadb-dump | mariadb',
      rows: await countRows('bench.invoices'),
      seconds: (performance.now() - started) / 1000,
    };

    let mydumper: Measured | null = null;
    if ((await hasCommand('mydumper')) && (await hasCommand('myloader'))) {
      const out = join(dir, 'mydumper');
      await destination.query('CREATE DATABASE bench_myloader');
      started = performance.now();
      await shell(
        `mydumper ${connectArgs(sourceServer)} -B ${sourceDb.name} -T invoices ` +
          `-t ${PARALLELISM} --rows 100000 -o ${out} && ` +
          `myloader ${connectArgs(destinationServer)} -d ${out} -s ${sourceDb.name} ` +
          `-B bench_myloader -t ${PARALLELISM} --enable-binlog`,
      );
      const seconds = (performance.now() - started) / 1000;
      mydumper = {
        name: 'mydumper + myloader',
        rows: await countRows('bench_myloader.invoices'),
        seconds,
      };
    } else console.log('mydumper/myloader not installed (apt-get install mydumper): skipped');

    const rate = (m: Measured) => m.rows / m.seconds;
    const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
    for (const m of [small, full, inserts, physical, dump, ...(mydumper ? [mydumper] : [])])
      console.log(
        `${m.name.padEnd(24)} ${String(m.rows).padStart(8)} rows ${m.seconds.toFixed(1).padStart(6)} s` +
          ` ${Math.round(rate(m)).toString().padStart(8)} rows/s` +
          (m.indexSeconds === undefined ? '' : `  (indexes ${m.indexSeconds.toFixed(1)} s`) +
          (m.peakRssBytes === undefined ? '' : `, peak RSS ${mb(m.peakRssBytes)}`) +
          (m.indexSeconds === undefined ? '' : ')'),
      );
    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    console.log(`engine / mariadb-dump | mariadb:   ${ratio(rate(full), rate(dump))} (goal >= 2)`);
    console.log(`engine insert / mariadb-dump:      ${ratio(rate(inserts), rate(dump))}`);
    if (mydumper) {
      console.log(
        `engine / mydumper + myloader:     ${ratio(rate(full), rate(mydumper))} (goal >= 1)`,
      );
      console.log(
        `engine insert / mydumper:         ${ratio(rate(inserts), rate(mydumper))} (goal >= 1.2)`,
      );
    }
    console.log(`engine / LOAD DATA INFILE:        ${ratio(rate(full), rate(physical))}`);
    console.log(`engine insert / LOAD DATA INFILE: ${ratio(rate(inserts), rate(physical))}`);
    console.log(
      `peak RSS ${ROWS} rows / ${SMALL_ROWS} rows: ${ratio(full.peakRssBytes!, small.peakRssBytes!)} (goal: flat)`,
    );
  } finally {
    await Promise.all([source.end(), destination?.end()]);
    await sourceDb.drop();
    await supervisor.stopAll();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
