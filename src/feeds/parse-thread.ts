import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ErrorCode, FeedError } from '../errors';
import type { FeedIncident } from './feed-incident';
import type { FeedKind } from '../config/feeds';

/**
 * Feed documents are parsed on a thread of their own (node:worker_threads), one at a time, each
 * within a time budget: the thread is ended (and a fresh one started for the next document) when
 * a document takes longer, or needs more heap than allowed. Parsing is linear in the document's
 * size (html-text.ts, content-limits.ts), but a few MB still cost hundreds of milliseconds of
 * CPU, and the XML and JSON parsers cannot be paused: on the process's own event loop that time
 * would delay BullMQ's lock renewals (and, in a worker with every role, the runbooks' own). The
 * thread keeps that loop free, and the budget bounds what any document, or a slow path in a
 * parser nobody has found yet, can cost.
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

export interface ParseThreadOptions {
  /** Longest one document may take on the thread, from the moment it is handed over. */
  budgetMs: number;
  /** Heap the thread may grow to (V8's old generation). */
  maxMemoryMb: number;
}

/**
 * The heap a thread needs for documents up to `maxBytes`: a 2 MB document of the worst shapes
 * (hundreds of thousands of elements) parses within 256 MB.
 */
export function parseThreadMemoryMb(maxBytes: number): number {
  return Math.min(4096, 128 + 64 * Math.ceil(maxBytes / (1024 * 1024)));
}

/** Loads the thread's module: compiled JavaScript as is, TypeScript (dev, tests) through tsx. */
const BOOT = `
const { workerData } = require('node:worker_threads');
if (workerData.file.endsWith('.ts')) require('tsx/cjs/api').register();
require(workerData.file);
`;
const THREAD_FILE = join(__dirname, `parse-thread-main${extname(__filename)}`);

interface Pending {
  request: ParseRequest;
  resolve(incidents: FeedIncident[]): void;
  reject(error: Error): void;
}

export class FeedParseThread {
  /** Threads ended because a document went over its budget or memory, or the thread died. */
  restarts = 0;
  private worker: Worker | undefined;
  /** Whether the thread has loaded its modules (it says so once). */
  private ready = false;
  private readonly waiting: Pending[] = [];
  private current: { pending: Pending; timer: NodeJS.Timeout } | undefined;
  private closed = false;

  constructor(private readonly options: ParseThreadOptions) {}

  /** The document's incidents, or a FeedError saying why it was refused. */
  parse(format: FeedKind, text: string, now: number): Promise<FeedIncident[]> {
    if (this.closed) return Promise.reject(new Error('the feed parse thread is closed'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ request: { format, text, now }, resolve, reject });
      this.next();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const stopped = new Error('the feed parse thread is closed');
    for (const pending of this.waiting.splice(0)) pending.reject(stopped);
    this.finish()?.reject(stopped);
    const worker = this.worker;
    this.worker = undefined;
    this.ready = false;
    await worker?.terminate();
  }

  private next(): void {
    if (this.current || this.waiting.length === 0) return;
    this.worker ??= this.spawn();
    if (!this.ready) return;
    const worker = this.worker;
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
    worker.postMessage(pending.request);
  }

  private spawn(): Worker {
    const worker = new Worker(BOOT, {
      eval: true,
      workerData: { file: THREAD_FILE },
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxMemoryMb },
      stdout: false,
      stderr: false,
    });
    // An idle thread keeps no process alive; one at work has its budget timer doing that.
    worker.unref();
    worker.on('message', (reply: ParseReply) => {
      if (worker !== this.worker) return;
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
    worker.on('error', (error: Error & { code?: string }) => {
      if (worker !== this.worker) return;
      this.abandon(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new FeedError(
              ErrorCode.FeedTooLarge,
              `the document needed more than ${this.options.maxMemoryMb} MB to parse: refused`,
            )
          : error,
      );
    });
    worker.on('exit', (code) => {
      if (worker !== this.worker) return;
      this.abandon(new Error(`the feed parse thread exited (${code})`));
    });
    return worker;
  }

  /** The document on the thread now, its timer stopped. */
  private finish(): Pending | undefined {
    const current = this.current;
    this.current = undefined;
    if (current) clearTimeout(current.timer);
    return current?.pending;
  }

  /**
   * Ends the thread and fails the document on it (or, when the thread died before it could take
   * one, the next in line: each document costs at most one thread); the next gets a new thread.
   */
  private abandon(error: Error): void {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = false;
    this.restarts += 1;
    void worker?.terminate();
    (this.finish() ?? this.waiting.shift())?.reject(error);
    if (!this.closed) this.next();
  }
}
