import { EventEmitter } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { blockKitViolations } from './block-kit-limits';
import { FakeSocketMode } from './fake-socket-mode';

/**
 * A local stand-in for the Slack Web API, for tests and console mode. The real WebClient talks
 * to it through `slackApiUrl` (`url` below). It keeps the messages it was sent, records every
 * call, and can be told to fail: a scripted queue of answers per method, or every call until a
 * point in time, to play Slack outages and rate limits.
 *
 * Implemented: chat.postMessage, chat.update, chat.delete, chat.postEphemeral, auth.test,
 * users.info (with `tz`), conversations.info, views.open, views.update, views.push (modals: kept
 * in `views`, checked against Block Kit's modal limits), views.publish (each user's Home tab:
 * `homeView`), usergroups.users.list, apps.connections.open (Socket Mode:
 * `socket`, see fake-socket-mode.ts), and `POST /respond/<id>` in place of slash-command
 * response_urls. Like Slack it takes form-encoded and JSON bodies, answers HTTP 200 with
 * `ok: false` for API errors, and wants a token (Authorization: Bearer, or a `token` field).
 * The 'call' event fires once a call has been answered.
 */

export interface RecordedCall {
  /** Web API method, or 'respond' for a response_url post (its id is `args.response_id`). */
  method: string;
  /** The parsed body (form fields are strings, as Slack receives them). */
  args: Record<string, unknown>;
  /** When the call arrived (ms since the epoch). */
  at: number;
  /** HTTP status of the answer; 0 while the call is still unanswered (a scripted delay). */
  status: number;
  response: unknown;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  user: string;
  /** Set once chat.update changed the message. */
  edited?: { ts: string };
}

/** A modal the bot opened (views.open / views.push) and its latest content (views.update). */
export interface FakeView {
  id: string;
  /** Who it was opened for: the user of the trigger (`triggers`), else empty. */
  user: string;
  view: Record<string, unknown>;
  hash: string;
  /** The view it was pushed on top of (views.push). */
  previousViewId?: string;
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  text: string;
  blocks?: unknown[];
  message_ts: string;
}

export interface FakeHomeView {
  user: string;
  /** The view as Slack keeps it: `id` stays the same for the user, `hash` changes on each publish. */
  view: { id: string; type: 'home'; blocks: unknown[]; hash: string; [field: string]: unknown };
}

/**
 * One scripted answer. `status` 429 sends `Retry-After: retryAfter` (seconds) when given; other
 * non-200 statuses answer with an error page; `error` answers 200 with `ok: false`; `delayMs`
 * holds the answer back (alone, it delays the normal answer: a slow Slack).
 */
export interface ScriptedAnswer {
  status?: number;
  retryAfter?: number;
  error?: string;
  delayMs?: number;
}

export interface FakeSlackApiOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** User ids and their names, for users.info. */
  users?: Record<string, string>;
  /** Channel ids and their names; channels posted to by another name or id are added. */
  channels?: Record<string, string>;
  /** User group ids (S...) and their members' user ids, for usergroups.users.list. */
  usergroups?: Record<string, string[]>;
  botUserId?: string;
  /** The app-level token apps.connections.open takes; any `xapp-` token when unset. */
  appToken?: string;
  /** Users' IANA time zones for users.info's `tz` (UTC when unset). */
  timeZones?: Record<string, string>;
}

interface FakeSlackEvents {
  call: [call: RecordedCall];
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

const TEAM_ID = 'T0FAKE';
const MAX_TEXT_LENGTH = 40_000;
/** views.publish refuses a view larger than this (`view_too_large`: "greater than 250kb"). */
const MAX_VIEW_BYTES = 250_000;

export class FakeSlackApi extends EventEmitter<FakeSlackEvents> {
  readonly calls: RecordedCall[] = [];
  /** Socket Mode: the app's connections, envelopes and acks. */
  readonly socket = new FakeSocketMode();
  private readonly server: Server;
  private readonly posted: FakeMessage[] = [];
  private readonly ephemeralMessages: FakeEphemeral[] = [];
  private readonly homeViews = new Map<string, FakeHomeView>();
  private readonly scripts = new Map<string, ScriptedAnswer[]>();
  private outage: { until: number; answer: ScriptedAnswer; method?: string } | null = null;
  private readonly channelNames = new Map<string, string>();
  private readonly users: Record<string, string>;
  private readonly usergroups: Map<string, string[]>;
  private readonly botUserId: string;
  private readonly appToken: string | undefined;
  private readonly timeZones: Record<string, string>;
  private readonly openViews = new Map<string, FakeView>();
  /** trigger_id → user, for triggers a test or the console handed to the bot; used once. */
  private readonly triggers = new Map<string, string>();
  private readonly usedTriggers = new Set<string>();
  private viewCount = 0;
  private lastTsMicros = 0;
  private port = 0;

  constructor(options: FakeSlackApiOptions = {}) {
    super();
    this.users = options.users ?? {};
    this.usergroups = new Map(Object.entries(options.usergroups ?? {}));
    this.botUserId = options.botUserId ?? 'U0OPSDECK';
    this.appToken = options.appToken;
    this.timeZones = options.timeZones ?? {};
    for (const [id, name] of Object.entries(options.channels ?? {}))
      this.channelNames.set(id, name);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      });
    });
    this.server.on('upgrade', (req, socket, head) => this.socket.handleUpgrade(req, socket, head));
  }

  /** Base URL for WebClient's slackApiUrl (ends with /api/). */
  get url(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  /** Where a slash command's response_url with this id points. */
  responseUrl(id: string): string {
    return `http://127.0.0.1:${this.port}/respond/${encodeURIComponent(id)}`;
  }

  async start(port = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.socket.stop();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Queues answers for the next calls of `method`, in order; then it answers normally again. */
  script(method: string, answers: ScriptedAnswer[]): void {
    this.scripts.set(method, [...(this.scripts.get(method) ?? []), ...answers]);
  }

  /** Answers every call (of `method`, if given) with `answer` until `until` (ms since the epoch). */
  failUntil(until: number, answer: ScriptedAnswer = { status: 500 }, method?: string): void {
    this.outage = { until, answer, ...(method ? { method } : {}) };
  }

  /** Posted messages still present, oldest first (optionally of one channel, by id or name). */
  messages(channel?: string): FakeMessage[] {
    return this.inChannel(this.posted, channel);
  }

  /** The modals the bot opened, oldest first, as they are now. */
  views(): FakeView[] {
    return [...this.openViews.values()].map((v) => structuredClone(v));
  }

  view(id: string): FakeView | undefined {
    const found = this.openViews.get(id);
    return found && structuredClone(found);
  }

  /**
   * Says who a trigger_id (in a payload sent to the bot) belongs to, as Slack knows: a view opened
   * with it is that user's. Slack accepts a trigger once, within 3 seconds; the fake refuses a
   * second use (`trigger_exchanged`).
   */
  issueTrigger(triggerId: string, userId: string): void {
    this.triggers.set(triggerId, userId);
  }

  /** The Home tab last published for the user, if any. */
  homeView(user: string): FakeHomeView | undefined {
    const published = this.homeViews.get(user);
    return published && structuredClone(published);
  }

  ephemerals(channel?: string): FakeEphemeral[] {
    return this.inChannel(this.ephemeralMessages, channel);
  }

  private inChannel<T extends { channel: string }>(items: T[], channel?: string): T[] {
    const id = channel === undefined ? undefined : this.lookupChannel(channel);
    if (channel !== undefined && id === undefined) return [];
    return items.filter((m) => id === undefined || m.channel === id).map((m) => structuredClone(m));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const args = parseBody(req.headers['content-type'], await readBody(req));
    const respond = req.method === 'POST' && path.startsWith('/respond/');
    const method = respond
      ? 'respond'
      : path.startsWith('/api/')
        ? path.slice('/api/'.length)
        : path;
    if (respond) args.response_id = decodeURIComponent(path.slice('/respond/'.length));
    // Recorded on arrival, so `calls` is in the order calls came in, answered or not.
    const call: RecordedCall = { method, args, at, status: 0, response: undefined };
    this.calls.push(call);
    const answer: Answer = respond
      ? this.respond(args)
      : path.startsWith('/api/')
        ? await this.answer(method, args, req.headers.authorization)
        : { status: 404, body: 'not found' };
    call.status = answer.status;
    call.response = answer.body;
    this.emit('call', call);
    const json = typeof answer.body !== 'string';
    res
      .writeHead(answer.status, {
        'content-type': json ? 'application/json; charset=utf-8' : 'text/plain',
        ...answer.headers,
      })
      .end(json ? JSON.stringify(answer.body) : answer.body);
  }

  /** A response_url post: Slack checks its text and blocks as it checks a message's. */
  private respond(args: Record<string, unknown>): Answer {
    const content = messageContent(args);
    return { status: 200, body: 'error' in content ? content : { ok: true } };
  }

  /** Calls Slack refused for breaking Block Kit's limits (messages and views), each with Slack's reasons. */
  blockKitRefusals(): { method: string; messages: string[] }[] {
    return this.calls.flatMap((call) => {
      const response = call.response as {
        error?: string;
        response_metadata?: { messages?: string[] };
      };
      const refused =
        response?.error === 'invalid_blocks' ||
        (call.method.startsWith('views.') && response?.error === 'invalid_arguments');
      return refused
        ? [{ method: call.method, messages: response.response_metadata?.messages ?? [] }]
        : [];
    });
  }

  private async answer(
    method: string,
    args: Record<string, unknown>,
    authorization?: string,
  ): Promise<Answer> {
    const scripted = this.scripts.get(method)?.shift() ?? this.outageAnswer(method);
    if (scripted?.delayMs) await sleep(scripted.delayMs);
    if (scripted?.status !== undefined && scripted.status !== 200) {
      if (scripted.status === 429) {
        return {
          status: 429,
          body: { ok: false, error: 'ratelimited' },
          ...(scripted.retryAfter === undefined
            ? {}
            : { headers: { 'retry-after': String(scripted.retryAfter) } }),
        };
      }
      return { status: scripted.status, body: `fake Slack answers ${scripted.status}` };
    }
    if (scripted?.error) return fail(scripted.error);
    const token = authorization?.match(/^Bearer\s+(\S+)$/)?.[1] ?? args.token;
    if (typeof token !== 'string' || token.length === 0) return fail('not_authed');
    if (method === 'apps.connections.open')
      return { status: 200, body: this.openConnection(token) };
    return { status: 200, body: this.perform(method, args) };
  }

  /** Socket Mode's door: an app-level token (xapp-) gets a single-use WebSocket URL. */
  private openConnection(token: string): unknown {
    if (!token.startsWith('xapp-')) return { ok: false, error: 'not_allowed_token_type' };
    if (this.appToken !== undefined && token !== this.appToken)
      return { ok: false, error: 'invalid_auth' };
    return { ok: true, url: this.socket.issueUrl(`http://127.0.0.1:${this.port}`) };
  }

  private outageAnswer(method: string): ScriptedAnswer | undefined {
    const { outage } = this;
    if (!outage || Date.now() >= outage.until) return undefined;
    return outage.method === undefined || outage.method === method ? outage.answer : undefined;
  }

  private perform(method: string, args: Record<string, unknown>): unknown {
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://opsdeck-fake.slack.com/',
          team: 'opsdeck (fake)',
          user: 'opsdeck',
          team_id: TEAM_ID,
          user_id: this.botUserId,
          bot_id: 'B0OPSDECK',
        };
      case 'chat.postMessage':
        return this.postMessage(args);
      case 'chat.update':
        return this.update(args);
      case 'chat.delete':
        return this.delete(args);
      case 'chat.postEphemeral':
        return this.postEphemeral(args);
      case 'users.info':
        return this.userInfo(String(args.user ?? ''));
      case 'conversations.info':
        return this.conversationInfo(String(args.channel ?? ''));
      case 'usergroups.users.list':
        return this.usergroupUsers(args.usergroup);
      case 'views.open':
      case 'views.push':
        return this.openView(method, args);
      case 'views.update':
        return this.updateView(args);
      case 'views.publish':
        return this.publishView(args);
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private postMessage(args: Record<string, unknown>): unknown {
    const content = messageContent(args);
    if ('error' in content) return content;
    if (typeof args.channel !== 'string' || args.channel === '')
      return { ok: false, error: 'channel_not_found' };
    const channel = this.channelId(args.channel);
    const threadTs = optionalString(args.thread_ts);
    if (threadTs && !this.find(channel, threadTs)) return { ok: false, error: 'thread_not_found' };
    const message: FakeMessage = {
      channel,
      ts: this.nextTs(),
      ...content,
      user: this.botUserId,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    };
    this.posted.push(message);
    return { ok: true, channel, ts: message.ts, message: { ...message, type: 'message' } };
  }

  private update(args: Record<string, unknown>): unknown {
    const content = messageContent(args);
    if ('error' in content) return content;
    const channel = this.lookupChannel(String(args.channel ?? ''));
    if (channel === undefined) return { ok: false, error: 'channel_not_found' };
    const message = this.find(channel, String(args.ts ?? ''));
    if (!message) return { ok: false, error: 'message_not_found' };
    message.text = content.text;
    if (content.blocks) message.blocks = content.blocks;
    else delete message.blocks;
    message.edited = { ts: this.nextTs() };
    return { ok: true, channel, ts: message.ts, text: message.text };
  }

  private delete(args: Record<string, unknown>): unknown {
    const channel = this.lookupChannel(String(args.channel ?? ''));
    if (channel === undefined) return { ok: false, error: 'channel_not_found' };
    const message = this.find(channel, String(args.ts ?? ''));
    if (!message) return { ok: false, error: 'message_not_found' };
    this.posted.splice(this.posted.indexOf(message), 1);
    return { ok: true, channel, ts: message.ts };
  }

  private postEphemeral(args: Record<string, unknown>): unknown {
    const content = messageContent(args);
    if ('error' in content) return content;
    if (typeof args.user !== 'string' || args.user === '')
      return { ok: false, error: 'user_not_found' };
    if (typeof args.channel !== 'string' || args.channel === '')
      return { ok: false, error: 'channel_not_found' };
    const channel = this.channelId(args.channel);
    const ephemeral: FakeEphemeral = {
      channel,
      user: args.user,
      ...content,
      message_ts: this.nextTs(),
    };
    this.ephemeralMessages.push(ephemeral);
    return { ok: true, message_ts: ephemeral.message_ts };
  }

  private openView(method: string, args: Record<string, unknown>): unknown {
    const triggerId = optionalString(args.trigger_id);
    if (!triggerId) return { ok: false, error: 'invalid_arguments' };
    if (this.usedTriggers.has(triggerId)) return { ok: false, error: 'trigger_exchanged' };
    this.usedTriggers.add(triggerId);
    const user = this.triggers.get(triggerId);
    const view = viewContent(args.view);
    if ('error' in view) return view;
    const previous =
      method === 'views.push'
        ? [...this.openViews.values()].filter((v) => v.user === (user ?? '')).at(-1)
        : undefined;
    const opened: FakeView = {
      id: `V0FAKE${++this.viewCount}`,
      user: user ?? '',
      view: view.view,
      hash: this.nextTs(),
      ...(previous && { previousViewId: previous.id }),
    };
    this.openViews.set(opened.id, opened);
    return { ok: true, view: this.viewResponse(opened) };
  }

  private updateView(args: Record<string, unknown>): unknown {
    const id = optionalString(args.view_id);
    const external = optionalString(args.external_id);
    const found = id
      ? this.openViews.get(id)
      : [...this.openViews.values()].find((v) => v.view.external_id === external);
    if (!found) return { ok: false, error: 'not_found' };
    const hash = optionalString(args.hash);
    if (hash !== undefined && hash !== found.hash) return { ok: false, error: 'hash_conflict' };
    const view = viewContent(args.view);
    if ('error' in view) return view;
    found.view = view.view;
    found.hash = this.nextTs();
    return { ok: true, view: this.viewResponse(found) };
  }

  /** A view as Slack returns it: with its id, hash and an empty state. */
  private viewResponse(v: FakeView): Record<string, unknown> {
    return {
      ...v.view,
      id: v.id,
      team_id: TEAM_ID,
      hash: v.hash,
      state: { values: {} },
      app_id: 'A0OPSDECK',
      bot_id: 'B0OPSDECK',
      root_view_id: v.previousViewId ?? v.id,
      previous_view_id: v.previousViewId ?? null,
    };
  }

  /** views.publish: a Home tab for one user, checked as Slack checks a view (100 blocks). */
  private publishView(args: Record<string, unknown>): unknown {
    if (typeof args.user_id !== 'string' || args.user_id === '')
      return {
        ok: false,
        error: 'invalid_arguments',
        response_metadata: { messages: ['invalid `user_id`'] },
      };
    let view: unknown = args.view;
    if (typeof view === 'string') {
      if (Buffer.byteLength(view) > MAX_VIEW_BYTES) return { ok: false, error: 'view_too_large' };
      try {
        view = JSON.parse(view);
      } catch {
        return { ok: false, error: 'invalid_arguments' };
      }
    } else if (Buffer.byteLength(JSON.stringify(view ?? null)) > MAX_VIEW_BYTES) {
      return { ok: false, error: 'view_too_large' };
    }
    const fields = view as { type?: unknown; blocks?: unknown } | null;
    if (fields === null || typeof fields !== 'object' || fields.type !== 'home')
      return {
        ok: false,
        error: 'invalid_arguments',
        response_metadata: { messages: ['a home view needs type home'] },
      };
    const violations = blockKitViolations(fields.blocks, 'home');
    if (violations.length > 0)
      return { ok: false, error: 'invalid_blocks', response_metadata: { messages: violations } };
    const id = this.homeViews.get(args.user_id)?.view.id ?? `V0HOME${this.homeViews.size + 1}`;
    const published: FakeHomeView = {
      user: args.user_id,
      view: {
        ...(fields as Record<string, unknown>),
        id,
        type: 'home',
        blocks: fields.blocks as unknown[],
        team_id: TEAM_ID,
        hash: this.nextTs(),
        state: { values: {} },
      },
    };
    this.homeViews.set(args.user_id, published);
    return { ok: true, view: published.view };
  }

  private userInfo(id: string): unknown {
    const name = this.users[id];
    if (name === undefined) return { ok: false, error: 'user_not_found' };
    return {
      ok: true,
      user: {
        id,
        team_id: TEAM_ID,
        name,
        real_name: name,
        tz: this.timeZones[id] ?? 'UTC',
        profile: { display_name: name, real_name: name },
      },
    };
  }

  /** Sets a user group's members (replacing them), as if someone edited the group in Slack. */
  setUsergroup(id: string, members: string[]): void {
    this.usergroups.set(id, [...members]);
  }

  private usergroupUsers(id: unknown): unknown {
    if (typeof id !== 'string' || id === '') return { ok: false, error: 'missing_argument' };
    const members = this.usergroups.get(id);
    if (members === undefined) return { ok: false, error: 'no_such_subteam' };
    return { ok: true, users: [...members] };
  }

  private conversationInfo(id: string): unknown {
    const name = this.channelNames.get(id);
    if (name === undefined) return { ok: false, error: 'channel_not_found' };
    return { ok: true, channel: { id, name, is_channel: true, is_member: true } };
  }

  private find(channel: string, ts: string): FakeMessage | undefined {
    return this.posted.find((m) => m.channel === channel && m.ts === ts);
  }

  /** A known channel's id from its id, name or #name. */
  private lookupChannel(channel: string): string | undefined {
    if (this.channelNames.has(channel)) return channel;
    const name = channel.replace(/^#/, '');
    for (const [id, known] of this.channelNames) if (known === name) return id;
    return undefined;
  }

  /** Like lookupChannel, but posting to an unknown channel creates it (ids C0FAKE1, ...). */
  private channelId(channel: string): string {
    const known = this.lookupChannel(channel);
    if (known !== undefined) return known;
    const isId = /^[CGD][A-Z0-9]{2,}$/.test(channel);
    const id = isId ? channel : `C0FAKE${this.channelNames.size + 1}`;
    this.channelNames.set(id, isId ? channel.toLowerCase() : channel.replace(/^#/, ''));
    return id;
  }

  /** Unique, increasing message timestamps in Slack's "seconds.micros" form. */
  private nextTs(): string {
    this.lastTsMicros = Math.max(Date.now() * 1000, this.lastTsMicros + 1);
    const seconds = Math.floor(this.lastTsMicros / 1_000_000);
    return `${seconds}.${String(this.lastTsMicros % 1_000_000).padStart(6, '0')}`;
  }
}

export async function startFakeSlackApi(options: FakeSlackApiOptions = {}): Promise<FakeSlackApi> {
  const api = new FakeSlackApi(options);
  await api.start(options.port);
  return api;
}

function fail(error: string): Answer {
  return { status: 200, body: { ok: false, error } };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(contentType: string | undefined, body: string): Record<string, unknown> {
  if (body === '') return {};
  if (contentType?.startsWith('application/json')) {
    try {
      const parsed: unknown = JSON.parse(body);
      return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : {};
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(body));
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Text and blocks of a message as Slack checks them; blocks arrive as JSON text in forms. */
function messageContent(
  args: Record<string, unknown>,
):
  | { text: string; blocks?: unknown[] }
  | { ok: false; error: string; response_metadata?: { messages: string[] } } {
  let blocks: unknown = args.blocks;
  if (typeof blocks === 'string') {
    try {
      blocks = JSON.parse(blocks);
    } catch {
      return { ok: false, error: 'invalid_blocks' };
    }
  }
  if (blocks !== undefined && !Array.isArray(blocks)) return { ok: false, error: 'invalid_blocks' };
  const violations = blocks === undefined ? [] : blockKitViolations(blocks);
  if (violations.length > 0)
    return { ok: false, error: 'invalid_blocks', response_metadata: { messages: violations } };
  const text = typeof args.text === 'string' ? args.text : '';
  if (text === '' && (!blocks || blocks.length === 0)) return { ok: false, error: 'no_text' };
  if (text.length > MAX_TEXT_LENGTH) return { ok: false, error: 'msg_too_long' };
  return blocks ? { text, blocks } : { text };
}

/** Longest texts of a modal's own fields, and its most blocks (api.slack.com/reference/surfaces/views). */
const VIEW_LIMITS = { title: 24, submit: 24, close: 24, privateMetadata: 3000, callbackId: 255 };

/**
 * A view as Slack checks it before opening or updating a modal: a modal with a title, its
 * texts within their lengths, its blocks within Block Kit's modal limits (`invalid_arguments`
 * with Slack's reasons otherwise); it arrives as JSON text in forms.
 */
export function viewContent(
  raw: unknown,
):
  | { view: Record<string, unknown> }
  | { ok: false; error: string; response_metadata?: { messages: string[] } } {
  let view: unknown = raw;
  if (typeof view === 'string') {
    try {
      view = JSON.parse(view);
    } catch {
      return { ok: false, error: 'invalid_arguments' };
    }
  }
  if (typeof view !== 'object' || view === null || Array.isArray(view))
    return { ok: false, error: 'invalid_arguments' };
  const v = view as Record<string, unknown>;
  const messages: string[] = [];
  if (v.type !== 'modal') messages.push('must be modal [json-pointer:/view/type]');
  for (const field of ['title', 'submit', 'close'] as const) {
    const text = (v[field] as { text?: unknown } | undefined)?.text;
    if (v[field] === undefined && field !== 'title') continue;
    if (typeof text !== 'string' || text.length === 0)
      messages.push(`must be a text object [json-pointer:/view/${field}]`);
    else if (text.length > VIEW_LIMITS[field])
      messages.push(
        `must be less than ${VIEW_LIMITS[field] + 1} characters [json-pointer:/view/${field}/text]`,
      );
  }
  if (
    typeof v.private_metadata === 'string' &&
    v.private_metadata.length > VIEW_LIMITS.privateMetadata
  )
    messages.push(
      `must be less than ${VIEW_LIMITS.privateMetadata + 1} characters [json-pointer:/view/private_metadata]`,
    );
  if (typeof v.callback_id === 'string' && v.callback_id.length > VIEW_LIMITS.callbackId)
    messages.push(
      `must be less than ${VIEW_LIMITS.callbackId + 1} characters [json-pointer:/view/callback_id]`,
    );
  messages.push(
    ...blockKitViolations(v.blocks ?? [], 'modal').map((m) =>
      m.replace('json-pointer:/', 'json-pointer:/view/'),
    ),
  );
  if (messages.length > 0)
    return { ok: false, error: 'invalid_arguments', response_metadata: { messages } };
  return { view: v };
}
