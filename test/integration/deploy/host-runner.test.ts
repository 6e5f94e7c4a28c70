import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHost, type HostRunOptions } from '../../../src/deploy/host-runner';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opsdeck-host-runner-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
function run(script: string, options: Partial<HostRunOptions> = {}) {
  n += 1;
  return runHost({
    host: `web0${n}`,
    argv: ['/bin/sh', '-c', script],
    timeoutMs: 20_000,
    outputFile: join(dir, `job-${n}`, `web0${n}.log`),
    killGraceMs: 500,
    ...options,
  });
}

/** True while a process with this pid runs (a zombie waiting to be reaped does not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('runHost', () => {
  it('reports success with output in the file and the tail', async () => {
    const result = await run('echo hello; echo oops >&2; exit 0');
    expect(result).toMatchObject({
      ok: true,
      exitCode: 0,
      signal: null,
      timedOut: false,
      cancelled: false,
      tail: 'hello\noops',
      outputBytes: 11,
      outputTruncated: false,
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(await readFile(result.outputFile, 'utf8')).toBe('hello\noops\n');
  });

  it('reports a failing command with its exit code and tail', async () => {
    const result = await run('echo "step 1 ok"; echo "step 2 broke" >&2; exit 3');
    expect(result).toMatchObject({ ok: false, exitCode: 3, tail: 'step 1 ok\nstep 2 broke' });
  });

  it('passes arguments literally, without a shell, and keeps the worker environment out', async () => {
    process.env.OPSDECK_TEST_SECRET = 'hunter2';
    try {
      const result = await runHost({
        host: 'h',
        argv: [
          '/bin/sh',
          '-c',
          'printf "%s|" "$1" "${OPSDECK_TEST_SECRET:-none}" "$EXTRA"',
          'sh',
          '$(touch x); rm -rf /',
        ],
        timeoutMs: 10_000,
        outputFile: join(dir, 'literal.log'),
        env: { EXTRA: 'given' },
      });
      expect(result.tail).toBe('$(touch x); rm -rf /|none|given|');
    } finally {
      delete process.env.OPSDECK_TEST_SECRET;
    }
  });

  it('reports a program that cannot start, without throwing', async () => {
    const result = await runHost({
      host: 'h',
      argv: ['/nonexistent/deploy-tool', 'x'],
      timeoutMs: 10_000,
      outputFile: join(dir, 'enoent.log'),
    });
    expect(result.ok).toBe(false);
    expect(result.exitCode).toBeNull();
    expect(result.error).toMatch(/ENOENT/);
    expect(result.tail).toMatch(/could not start \/nonexistent\/deploy-tool/);
  });

  it('times out a slow command: SIGTERM, reported as timed out', async () => {
    const started = Date.now();
    const result = await run('echo started; sleep 30', { timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result).toMatchObject({
      ok: false,
      timedOut: true,
      cancelled: false,
      signal: 'SIGTERM',
    });
    expect(result.tail).toBe('started\n[opsdeck: timed out after 300 ms]');
  });

  it('kills a command that ignores SIGTERM after the grace period, children included', async () => {
    const pidFile = join(dir, 'child.pid');
    const started = Date.now();
    const result = await run(
      `trap '' TERM; (trap '' TERM; sleep 30) & echo $! > ${pidFile}; echo waiting; wait`,
      { timeoutMs: 300, killGraceMs: 700 },
    );
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(5000);
    expect(result).toMatchObject({ ok: false, timedOut: true, signal: 'SIGKILL' });
    const childPid = Number(await readFile(pidFile, 'utf8'));
    expect(alive(childPid)).toBe(false);
  });

  it('cancels via AbortSignal: SIGTERM to the group, reported as cancelled', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const result = await run('echo working; sleep 30', { signal: controller.signal });
    expect(result).toMatchObject({
      ok: false,
      cancelled: true,
      timedOut: false,
      signal: 'SIGTERM',
    });
    expect(result.tail).toBe('working\n[opsdeck: cancelled]');
  });

  it('does not start at all when already cancelled', async () => {
    const marker = join(dir, 'never');
    const controller = new AbortController();
    controller.abort();
    const result = await run(`touch ${marker}`, { signal: controller.signal });
    expect(result).toMatchObject({ ok: false, cancelled: true, exitCode: null, durationMs: 0 });
    expect(existsSync(marker)).toBe(false);
  });

  it('caps the output file with a note and keeps a bounded tail of whole lines', async () => {
    const result = await run('i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done', {
      maxOutputBytes: 1000,
      tailBytes: 100,
    });
    expect(result.ok).toBe(true);
    expect(result.outputTruncated).toBe(true);
    expect(result.outputBytes).toBe(
      Array.from({ length: 2000 }, (_, i) => `line ${i}\n`).join('').length,
    );
    const file = await readFile(result.outputFile, 'utf8');
    expect(file.startsWith('line 0\nline 1\n')).toBe(true);
    expect(file).toContain(
      `[opsdeck: output cut after 1000 bytes; ${result.outputBytes - 1000} more bytes not kept]`,
    );
    expect(Buffer.byteLength(result.tail)).toBeLessThanOrEqual(100);
    expect(result.tail.endsWith('line 1998\nline 1999')).toBe(true);
    expect(result.tail.split('\n').every((line) => /^line \d+$/.test(line))).toBe(true);
  });

  it('overwrites the output file of an earlier attempt', async () => {
    const outputFile = join(dir, 'again.log');
    await writeFile(outputFile, 'old attempt\n');
    const result = await runHost({ host: 'h', argv: ['echo', 'new'], timeoutMs: 5000, outputFile });
    expect(await readFile(result.outputFile, 'utf8')).toBe('new\n');
  });
});
