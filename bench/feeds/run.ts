import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ADVERSARIAL_SHAPES } from '../../test/helpers/adversarial-feed';

/**
 * bench/feeds: the status feed relay polling many feeds served on loopback, three ways side by
 * side in one run, each in a fresh process: every poll answered 304 (conditional GET), answered
 * 200 with an unchanged body (the hash fallback: download, no parse), and answered 200 with a
 * changed body (download, parse, relay claims). Prints polls, CPU seconds per 1,000 polls, peak
 * RSS and the ratios. Intervals are accelerated: 500 feeds every 5 s is 100 polls/s.
 *
 * Then the worst case: the CPU time of reading hostile HTML (test/helpers/adversarial-feed.ts),
 * the regular expressions used before htmlparser2 (bench/feeds/baseline, from git history) and
 * the parser now side by side on the same entries of growing size, each series in a process of
 * its own that is killed once one entry takes longer than `--old-cap-seconds`; and the CPU time
 * of a whole 2 MB hostile document, as the feed parse process reads it.
 *
 *   npm run bench:feeds [-- --feeds 500 --interval-ms 5000 --seconds 120 --only polling|adversarial]
 *
 * `--seconds` is the whole polling run, split between the three modes (each also waits for every
 * feed's first poll before it measures).
 */
const FEEDS = Number(argument('--feeds') ?? 500);
const INTERVAL_MS = Number(argument('--interval-ms') ?? 5000);
const SECONDS = Number(argument('--seconds') ?? 120);
const ONLY = argument('--only');
const OLD_CAP_SECONDS = Number(argument('--old-cap-seconds') ?? 20);
/** Entry sizes, doubling: the old expressions' growth shows within a few steps. */
const ENTRY_SIZES = [4, 8, 16, 32, 64, 128].map((kb) => kb * 1024);
const DOCUMENT_BYTES = 2 * 1024 * 1024 - 1024;
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
  if (ONLY !== 'adversarial') await polling();
  if (ONLY !== 'polling') await adversarial();
}

async function polling(): Promise<void> {
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

interface EntryLine {
  parser: 'old' | 'new';
  shape: string;
  bytes: number;
  cpuMs: number;
}

/**
 * The lines a series printed; a series still running `capSeconds` after its last line is killed
 * (the next size would take longer still), and what it finished is kept.
 */
function series(script: string, args: string[], capSeconds: number): Promise<string[]> {
  const child = tsx(script, args);
  const lines: string[] = [];
  let buffer = '';
  return new Promise((resolve) => {
    let timer = setTimeout(() => child.kill('SIGKILL'), capSeconds * 1000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let end: number;
      while ((end = buffer.indexOf('\n')) !== -1) {
        lines.push(buffer.slice(0, end));
        buffer = buffer.slice(end + 1);
        clearTimeout(timer);
        timer = setTimeout(() => child.kill('SIGKILL'), capSeconds * 1000);
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(lines);
    });
  });
}

function ratio(value: number): string {
  return `${value.toFixed(value < 10 ? 1 : 0)}x`;
}

async function adversarial(): Promise<void> {
  console.log(
    `\nbench/feeds worst case: CPU ms to read one entry of hostile HTML, regular expressions before htmlparser2 (old) vs now (new); old series stopped past ${OLD_CAP_SECONDS} s`,
  );
  const sizes = ENTRY_SIZES.join(',');
  const header = [
    'shape',
    'size',
    'old CPU ms',
    'new CPU ms',
    'old / new',
    'growth per doubling old, new',
  ];
  const rows: string[][] = [];
  for (const shape of Object.keys(ADVERSARIAL_SHAPES)) {
    const [old, now] = await Promise.all(
      (['old', 'new'] as const).map(async (parser) =>
        (await series('adversarial.ts', ['entry', parser, shape, sizes], OLD_CAP_SECONDS)).map(
          (line) => JSON.parse(line) as EntryLine,
        ),
      ),
    );
    ENTRY_SIZES.forEach((bytes, i) => {
      const o = old!.find((l) => l.bytes === bytes);
      const n = now!.find((l) => l.bytes === bytes);
      const growth = (lines: EntryLine[]) => {
        const here = lines.find((l) => l.bytes === bytes);
        const before = lines.find((l) => l.bytes === ENTRY_SIZES[i - 1]);
        return here && before && before.cpuMs > 0 ? ratio(here.cpuMs / before.cpuMs) : '-';
      };
      rows.push([
        shape,
        `${bytes / 1024} KB`,
        o ? o.cpuMs.toFixed(1) : `killed after ${OLD_CAP_SECONDS} s`,
        n ? n.cpuMs.toFixed(1) : '-',
        o && n && n.cpuMs > 0 ? ratio(o.cpuMs / n.cpuMs) : '-',
        `${growth(old!)}, ${growth(now!)}`,
      ]);
    });
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  const [document] = await series('adversarial.ts', ['document', String(DOCUMENT_BYTES)], 600);
  const measured = JSON.parse(document!) as { bytes: number; cpuMs: number };
  console.log(
    `worst-case document: ${(measured.bytes / 1024 / 1024).toFixed(2)} MB of hostile RSS (every shape above), read now in ${measured.cpuMs.toFixed(0)} ms of CPU`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
