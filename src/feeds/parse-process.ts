import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { extname, join } from 'node:path';
import { ErrorCode, FeedError } from '../errors';
import type { FeedIncident } from './feed-incident';
import type { FeedKind } from '../config/feeds';

/**
 * Feed documents are parsed in a process of their own, one at a time, each within a time budget
 * and a heap limit: the process is ended (and a fresh one started for the next document) when a
 * document takes longer, or needs more heap than allowed. Parsing is linear in the document's
 * size (html-text.ts, content-limits.ts), but a few MB still cost hundreds of milliseconds of
 * CPU, and the XML and JSON parsers cannot be paused: on the worker's own event loop that time
 * would delay BullMQ's lock renewals (and, in a worker with every role, the runbooks' own). The
 * process keeps that loop free, and the budget bounds what any document, or a slow path in a
 * parser nobody has found yet, can cost.
 *
 * A process, not a worker thread: V8 enforces a thread's heap limit only for some shapes of
 * allocation, and for others aborts the whole process (nodejs/node#47224; it happened here on
 * Node.js 24 with a 16 MB document), so a hostile document could take the worker down with it.
 * A process that runs out of heap dies alone (SIGABRT). It gets no environment, so no secret of
 * the worker is in reach of the code that reads outside documents.
 */

export interface ParseRequest {
  format: FeedKind;
  text: string;
  now: number;
}

export type ParseReply =
  | { ready: true }
  | { incidents: FeedIncident[] }
  | { error: { code?: FeedError['code']; message: string } };

export interface ParseProcessOptions {
  /** Longest one document may take, from the moment it is handed over. */
  budgetMs: number;
  /** Heap the process may grow to (V8's old generation, --max-old-space-size). */
  maxMemoryMb: number;
}

/**
 * The heap the process needs for documents up to `maxBytes`: a 2 MB document of the worst
 * shapes (hundreds of thousands of elements) parses within 256 MB.
 */
export function parseProcessMemoryMb(maxBytes: number): number {
  return Math.min(4096, 128 + 64 * Math.ceil(maxBytes / (1024 * 1024)));
}

/**
 * Compiled JavaScript runs as is; TypeScript (dev, tests) through tsx's loader, found from here
 * (not from the working directory, which may be anywhere).
 */
const MAIN_FILE = join(__dirname, `parse-process-main${extname(__filename)}`);
const LOADER = extname(__filename) === '.ts' ? ['--require', require.resolve('tsx/cjs')] : [];

interface Pending {
  request: ParseRequest;
  resolve(incidents: FeedIncident[]): void;
  reject(error: Error): void;
}

export class FeedParseProcess {
  /** Processes ended because a document went over its budget or memory, or the process died. */
  restarts = 0;
  private child: ChildProcess | undefined;
  /** Whether the process has loaded its modules (it says so once). */
  private ready = false;
  private readonly waiting: Pending[] = [];
  private current: { pending: Pending; timer: NodeJS.Timeout } | undefined;
  private closed = false;

  constructor(private readonly options: ParseProcessOptions) {}

  /** The document's incidents, or a FeedError saying why it was refused. */
  parse(format: FeedKind, text: string, now: number): Promise<FeedIncident[]> {
    if (this.closed) return Promise.reject(new Error('the feed parse process is closed'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ request: { format, text, now }, resolve, reject });
      this.next();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const stopped = new Error('the feed parse process is closed');
    for (const pending of this.waiting.splice(0)) pending.reject(stopped);
    this.finish()?.reject(stopped);
    const child = this.child;
    this.child = undefined;
    this.ready = false;
    if (child) await end(child);
  }

  private next(): void {
    if (this.current) return;
    if (this.waiting.length === 0) return this.hold(false);
    this.child ??= this.spawn();
    this.hold(true);
    if (!this.ready) return;
    const child = this.child;
    const pending = this.waiting.shift()!;
    const timer = setTimeout(
      () =>
        this.abandon(
          new FeedError(
            ErrorCode.FeedInvalid,
            `the document took longer than ${this.options.budgetMs} ms to parse (feeds.parseTimeoutMs): refused`,
          ),
        ),
      this.options.budgetMs,
    );
    this.current = { pending, timer };
    child.send(pending.request);
  }

  private spawn(): ChildProcess {
    const child = spawn(
      process.execPath,
      [`--max-old-space-size=${this.options.maxMemoryMb}`, ...LOADER, MAIN_FILE],
      { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], serialization: 'advanced', env: {} },
    );
    child.on('message', (reply: ParseReply) => {
      if (child !== this.child) return;
      if ('ready' in reply) {
        this.ready = true;
        return this.next();
      }
      const pending = this.finish();
      if ('incidents' in reply) pending?.resolve(reply.incidents);
      else
        pending?.reject(
          reply.error.code
            ? new FeedError(reply.error.code as typeof ErrorCode.FeedInvalid, reply.error.message)
            : new Error(reply.error.message),
        );
      this.next();
    });
    child.on('error', (error) => {
      if (child === this.child) this.abandon(error);
    });
    child.on('exit', (code, signal) => {
      if (child !== this.child) return;
      this.abandon(
        // V8 aborts a process that reaches its heap limit.
        signal === 'SIGABRT'
          ? new FeedError(
              ErrorCode.FeedTooLarge,
              `the document needed more than ${this.options.maxMemoryMb} MB to parse: refused`,
            )
          : new Error(`the feed parse process exited (${signal ?? code})`),
      );
    });
    return child;
  }

  /** A process with documents to parse keeps the worker alive; an idle one does not. */
  private hold(busy: boolean): void {
    const child = this.child;
    if (busy) {
      child?.ref();
      child?.channel?.ref();
    } else {
      child?.unref();
      child?.channel?.unref();
    }
  }

  /** The document in the process now, its timer stopped. */
  private finish(): Pending | undefined {
    const current = this.current;
    this.current = undefined;
    if (current) clearTimeout(current.timer);
    return current?.pending;
  }

  /**
   * Ends the process and fails the document in it (or, when the process died before it could
   * take one, the next in line: each document costs at most one process); the next gets a new one.
   */
  private abandon(error: Error): void {
    const child = this.child;
    this.child = undefined;
    this.ready = false;
    this.restarts += 1;
    if (child) void end(child);
    (this.finish() ?? this.waiting.shift())?.reject(error);
    if (!this.closed) this.next();
  }
}

/** Kills the process (a document at work would not listen to anything gentler) and waits for it. */
async function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}
