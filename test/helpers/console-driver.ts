import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse, stringify } from 'yaml';
import { MYSQL, REDIS_URL } from './services';

const ROOT = join(__dirname, '../..');

/** tsx's loader by its absolute address: the console may run in a directory of its own. */
const TSX = pathToFileURL(require.resolve('tsx')).href;

export type ConsoleConfig = Record<string, Record<string, unknown>>;

/**
 * config/console.yaml as `npm run dev` reads it, on a free port and the local services wherever
 * the tests' environment put them (OPSDECK_REDIS_PORT, ...), under `prefix` (its Redis keys and its
 * audit table; its audit digests in its directory), with the test's
 * `edit`s, written in a directory of its own: returns the file's path and that directory.
 */
export async function consoleConfig(
  prefix: string,
  edit: (config: ConsoleConfig, dir: string) => void | Promise<void> = () => {},
): Promise<{ path: string; dir: string }> {
  const config = parse(readFileSync(join(ROOT, 'config/console.yaml'), 'utf8')) as ConsoleConfig;
  config.http = { ...config.http, port: 0 };
  config.redis = { url: REDIS_URL, prefix };
  config.mysql = { ...config.mysql, host: MYSQL.host, port: MYSQL.port };
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-console-'));
  // Its own audit table and digests: not the trail of a developer's `npm run dev` on this machine.
  const audit = config.audit ?? {};
  config.audit = {
    ...audit,
    table: `audit_${prefix.replace(/[^A-Za-z0-9_]/g, '_')}`.slice(0, 64),
    anchor: {
      ...(audit.anchor as Record<string, unknown>),
      sink: { directory: join(dir, 'audit-digests') },
    },
  };
  await edit(config, dir);
  writeFileSync(join(dir, 'opsdeck.yaml'), stringify(config));
  return { path: join(dir, 'opsdeck.yaml'), dir };
}

export interface ConsoleDriverOptions {
  /** The config file (OPSDECK_CONFIG). */
  config: string;
  /** `npm run dev -- <args>`: --no-sandbox, --socket. */
  args?: string[];
  /** Its working directory (where it keeps .local/); the repository by default. */
  cwd?: string;
}

/** Drives `npm run dev`'s program at its prompt, as a person would, and reads what it prints. */
export class ConsoleDriver {
  output = '';
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(options: ConsoleDriverOptions) {
    this.child = spawn(
      process.execPath,
      ['--import', TSX, join(ROOT, 'devkit/dev.ts'), ...(options.args ?? [])],
      {
        cwd: options.cwd ?? ROOT,
        env: { ...process.env, OPSDECK_CONFIG: options.config },
      },
    );
    this.child.stdout.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  type(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Waits until the output after `from` matches; returns the index after the match. */
  async expect(pattern: RegExp, from = 0, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.output.slice(from));
      if (match) return from + match.index + match[0].length;
      if (Date.now() > deadline)
        throw new Error(`console never printed ${pattern}; it printed:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  exited(): Promise<number | null> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        resolve(this.child.exitCode);
      else this.child.once('exit', (code) => resolve(code));
    });
  }

  /**
   * Stops it as Ctrl-C would (SIGTERM: it stops its sandbox and servers), and kills it only if it
   * has not exited within `graceMs`: a killed console would leave its mariadbd processes behind.
   */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = this.exited();
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
