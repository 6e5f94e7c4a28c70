import { spawn } from 'node:child_process';
import mysql, { type Pool } from 'mysql2/promise';
import { copyTable } from '../../src/mysql/copy-table';
import { verifyCopy } from '../../src/mysql/table-checksum';
import { createTestDatabase, MYSQL } from '../../test/helpers/services';

/**
 * bench/copy: the copy engine at 4 connections against the same engine at 1 connection and against
 * the by-hand way (`mariadb-dump --no-create-info | mariadb`), on the same table in the same run,
 * between two databases of the local MariaDB. Prints rows/s, the ratios, and the process's peak
 * RSS after each engine run (memory must stay flat as the table grows: try --rows 1000000).
 *
 *   npm run bench:copy [-- --rows 200000 --parallelism 4]
 */
const ROWS = Number(argument('--rows') ?? 200_000);
const PARALLELISM = Number(argument('--parallelism') ?? 4);

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function seed(pool: Pool): Promise<void> {
  await pool.query(`CREATE TABLE invoices (
    id INT NOT NULL PRIMARY KEY, customer_id INT NOT NULL, number VARCHAR(32) NOT NULL,
    amount DECIMAL(12,2) NOT NULL, status ENUM('draft','sent','paid') NOT NULL,
    issued_at DATETIME(3) NOT NULL, note TEXT NULL, meta JSON NULL,
    KEY (customer_id), KEY (issued_at), UNIQUE KEY (number))`);
  for (let start = 1; start <= ROWS; start += 100_000) {
    const end = Math.min(ROWS, start + 99_999);
    await pool.query(`INSERT INTO invoices
      SELECT seq, seq % 5000, CONCAT('INV-', LPAD(seq, 10, '0')), (seq % 100000) / 100,
             ELT(1 + seq % 3, 'draft', 'sent', 'paid'), '2025-01-01' + INTERVAL seq SECOND,
             IF(seq % 4 = 0, NULL, REPEAT('note ünïcödé 😀 ', 1 + seq % 8)),
             IF(seq % 2 = 0, NULL, JSON_OBJECT('seq', seq, 'tags', JSON_ARRAY('a', 'b')))
        FROM seq_${start}_to_${end}`);
  }
  await pool.query('ANALYZE TABLE invoices');
}

function run(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const [sourceDb, destinationDb] = await Promise.all([
    createTestDatabase('bench_copy_src'),
    createTestDatabase('bench_copy_dst'),
  ]);
  const pool = (database: string) =>
    mysql.createPool({ ...MYSQL, database, charset: 'utf8mb4', connectionLimit: PARALLELISM + 2 });
  const source = pool(sourceDb.name);
  const destination = pool(destinationDb.name);
  try {
    await seed(source);
    console.log(`bench/copy: ${ROWS} rows, baseline RSS ${peakRssMb()} MB`);
    const from = { database: sourceDb.name, table: 'invoices' };

    const engine = async (parallelism: number) => {
      const to = { database: destinationDb.name, table: `invoices__restored_p${parallelism}` };
      const started = performance.now();
      const { rows, shape } = await copyTable({ source, destination, from, to, parallelism });
      const seconds = (performance.now() - started) / 1000;
      const verified = await verifyCopy(source, destination, from, to, shape.insertable);
      if (!verified.equal)
        throw new Error(`copy at ${parallelism} differs: ${JSON.stringify(verified)}`);
      return { rows, seconds };
    };
    const dump = async () => {
      await destination.query(`CREATE TABLE invoices LIKE ${sourceDb.name}.invoices`);
      const connect = `-h ${MYSQL.host} -P ${MYSQL.port} -u ${MYSQL.user}`;
      const started = performance.now();
      await run(
        `mariadb-dump ${connect} --no-create-info --single-transaction ${sourceDb.name} invoices` +
          ` | mariadb ${connect} ${destinationDb.name}`,
      );
      return { rows: ROWS, seconds: (performance.now() - started) / 1000 };
    };

    const results: [string, { rows: number; seconds: number }, number | null][] = [];
    const parallel = await engine(PARALLELISM);
    results.push([`engine, ${PARALLELISM} connections`, parallel, peakRssMb()]);
    const single = await engine(1);
    results.push(['engine, 1 connection', single, peakRssMb()]);
    results.push(['mariadb-dump | mariadb', await dump(), null]);

    const rate = (r: { rows: number; seconds: number }) => r.rows / r.seconds;
    for (const [name, result, rss] of results)
      console.log(
        `${name.padEnd(28)} ${result.seconds.toFixed(2).padStart(7)} s ${Math.round(rate(result))
          .toString()
          .padStart(9)} rows/s${rss === null ? '' : `   peak RSS ${rss} MB`}`,
      );
    console.log(
      `ratio engine x${PARALLELISM} / engine x1:      ${(rate(parallel) / rate(single)).toFixed(2)}`,
    );
    console.log(
      `ratio engine x${PARALLELISM} / dump | load:    ${(rate(parallel) / rate(results[2]![1])).toFixed(2)}`,
    );
  } finally {
    await Promise.all([source.end(), destination.end()]);
    await Promise.all([sourceDb.drop(), destinationDb.drop()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
