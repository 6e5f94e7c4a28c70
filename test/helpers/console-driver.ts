import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { MYSQL, REDIS_URL } from './services';

const ROOT = join(__dirname, '../..');

/** Drives `npm run dev`'s program at its prompt, as a person would, and reads what it prints. */
export class ConsoleDriver {
  output = '';
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(configPath: string, args: string[]) {
    this.child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'devkit/dev.ts'), '--no-sandbox', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, OPSDECK_CONFIG: configPath },
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
      if (this.child.exitCode !== null) resolve(this.child.exitCode);
      else this.child.once('exit', (code) => resolve(code));
    });
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * config/console.yaml as `npm run dev` reads it, on a free port and the local services wherever
 * the tests' environment put them (OPSDECK_REDIS_PORT, ...), under `prefix`; returns its path.
 */
export function consoleConfig(prefix: string): string {
  const config = parse(readFileSync(join(ROOT, 'config/console.yaml'), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
  config.http = { ...config.http, port: 0 };
  config.redis = { url: REDIS_URL, prefix };
  config.mysql = { ...config.mysql, host: MYSQL.host, port: MYSQL.port };
  const dir = mkdtempSync(join(tmpdir(), 'opsdeck-console-'));
  writeFileSync(join(dir, 'opsdeck.yaml'), stringify(config));
  return join(dir, 'opsdeck.yaml');
}
