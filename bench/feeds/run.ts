import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * bench/feeds: the status feed relay polling many feeds served on loopback, three ways side by
 * side in one run, each in a fresh process: every poll answered 304 (conditional GET), answered
 * 200 with an unchanged body (the hash fallback: download, no parse), and answered 200 with a
 * changed body (download, parse, relay claims). Prints polls, CPU seconds per 1,000 polls, peak
 * RSS and the ratios. Intervals are accelerated: 500 feeds every 5 s is 100 polls/s.
 *
 *   npm run bench:feeds [-- --feeds 500 --interval-ms 5000 --seconds 120]
 *
 * `--seconds` is the whole run, split between the three modes (each also waits for every feed's
 * first poll before it measures).
 */
const FEEDS = Number(argument('--feeds') ?? 500);
const INTERVAL_MS = Number(argument('--interval-ms') ?? 5000);
const SECONDS = Number(argument('--seconds') ?? 120);
const MODES = [
  ['etag', '304 Not Modified'],
  ['same', '200, same body (hash fallback)'],
  ['changed', '200, changed body (parse + relay)'],
] as const;

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

interface Result {
  mode: string;
  polls: number;
  outcomes: Record<string, number>;
  cpuSeconds: number;
  elapsed: number;
  peakRssMb: number;
}

function tsx(script: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(__dirname, script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf('\n');
      if (end !== -1) resolve(out.slice(0, end));
    });
    child.on('exit', (code) => reject(new Error(`${String(child.spawnargs[3])} exited ${code}`)));
  });
}

async function main(): Promise<void> {
  const server = tsx('status-server.ts', []);
  const [url, bytes] = (await firstLine(server)).split(' ');
  const perMode = Math.max(5, Math.floor(SECONDS / MODES.length));
  console.log(
    `bench/feeds: ${FEEDS} feeds (a ${bytes}-byte Statuspage incidents.json, 50 incidents), every ${INTERVAL_MS} ms, ${perMode} s measured per mode`,
  );
  const results: Result[] = [];
  try {
    for (const [mode] of MODES) {
      const poller = tsx('poller.ts', [
        url!,
        mode,
        String(FEEDS),
        String(INTERVAL_MS),
        String(perMode),
      ]);
      results.push(JSON.parse(await firstLine(poller)) as Result);
    }
  } finally {
    server.kill('SIGTERM');
  }
  const perThousand = (r: Result) => (r.cpuSeconds / r.polls) * 1000;
  const rows = results.map((r, i) => [
    MODES[i]![1],
    String(r.polls),
    (r.polls / r.elapsed).toFixed(1),
    perThousand(r).toFixed(2),
    String(r.peakRssMb),
    Object.entries(r.outcomes)
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
  ]);
  const header = ['mode', 'polls', 'polls/s', 'CPU s / 1,000 polls', 'peak RSS MB', 'outcomes'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  const [notModified, same, changed] = results.map(perThousand);
  console.log(
    `CPU per poll: 200 same body / 304 = ${(same! / notModified!).toFixed(2)}x; 200 changed / 304 = ${(changed! / notModified!).toFixed(2)}x`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
