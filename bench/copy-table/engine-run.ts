import mysql from 'mysql2/promise';
import { copyTable, type TableRef } from '../../src/mysql/copy-table';

/**
 * One copy by the engine in a process of its own, so that its peak RSS is the engine's alone:
 * bench/copy-table/run.ts starts it with a JSON job as the only argument and reads one JSON line
 * back (rows, seconds of the copyTable call, peak RSS in bytes).
 */
export interface EngineJob {
  source: { host: string; port: number; user: string };
  destination: { host: string; port: number; user: string };
  from: TableRef;
  to: TableRef;
  parallelism: number;
}

export interface EngineOutcome {
  rows: number;
  seconds: number;
  peakRssBytes: number;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as EngineJob;
  const pool = (server: EngineJob['source']) =>
    mysql.createPool({ ...server, charset: 'utf8mb4', connectionLimit: job.parallelism + 2 });
  const source = pool(job.source);
  const destination = pool(job.destination);
  try {
    const started = performance.now();
    const { rows } = await copyTable({
      source,
      destination,
      from: job.from,
      to: job.to,
      parallelism: job.parallelism,
    });
    const outcome: EngineOutcome = {
      rows,
      seconds: (performance.now() - started) / 1000,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
    console.log(JSON.stringify(outcome));
  } finally {
    await Promise.all([source.end(), destination.end()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
