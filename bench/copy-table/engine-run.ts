import mysql from 'mysql2/promise';
import { copyTable, type CopyMethod, type TableRef } from '../../src/mysql/copy-table';

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
  method: 'auto' | CopyMethod;
}

export interface EngineOutcome {
  /** The way the engine wrote the rows (with `auto`, the one it chose). */
  method: CopyMethod;
  rows: number;
  seconds: number;
  /** Of `seconds`, those spent building the deferred secondary indexes. */
  indexSeconds: number;
  /** The engine process's own CPU time (user + system). */
  cpuSeconds: number;
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
    let indexing = 0;
    const { rows, method } = await copyTable({
      source,
      destination,
      from: job.from,
      to: job.to,
      parallelism: job.parallelism,
      method: job.method,
      onProgress: (progress) => {
        if (progress.phase === 'indexing' && indexing === 0) indexing = performance.now();
      },
    });
    const ended = performance.now();
    const usage = process.resourceUsage();
    const outcome: EngineOutcome = {
      method,
      rows,
      seconds: (ended - started) / 1000,
      indexSeconds: (ended - indexing) / 1000,
      cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
      peakRssBytes: usage.maxRSS * 1024,
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
