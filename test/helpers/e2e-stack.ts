import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import IORedis from 'ioredis';
import pino from 'pino';
import { stringify } from 'yaml';
import { startBot, type RunningBot } from '../../src/app/start-bot';
import { createRuntime, type Runtime } from '../../src/app/runtime';
import { parseConfig } from '../../src/config/load-config';
import type { OpsdeckConfig } from '../../src/config/schema';
import { readSecrets } from '../../src/config/secrets';
import { createLogger } from '../../src/log/logger';
import {
  startFakeSlackApi,
  viewContent,
  type FakeMessage,
  type FakeSlackApi,
} from '../../devkit/slack/fake-slack-api';
import type { DeliverOptions } from '../../devkit/slack/fake-socket-mode';
import { blockKitViolations } from '../../devkit/slack/block-kit-limits';
import { slackSignatureHeaders } from '../../devkit/slack/sign-request';
import { socketModeDelivery, type SlackTransport } from '../../devkit/slack/slack-delivery';
import {
  blockActionBody,
  slashCommandBody,
  type SlashCommandRequest,
} from '../../devkit/slack/slack-payloads';
import type { Checkpoint } from '../../src/runbook/checkpoint';
import { unfoldReplies } from '../../src/notify/fold-replies';
import type { SandboxConfig } from '../../devkit/sandbox/config';
import { seedSandbox } from '../../devkit/sandbox/seed';
import { startTestSandbox, type TestSandbox } from './sandbox';
import {
  createTestDatabase,
  deleteRedisPrefix,
  localMysqlSection,
  REDIS_URL,
  TEST_QUEUE_KEY,
  uniqueName,
} from './services';
import { signApproval } from '../../src/approvals/approval-store';
import { waitFor } from './wait-for';
import { shown } from './slack-text';

export { waitFor };

export const SIGNING_SECRET = 'e2e-signing-secret-0123456789abcdef';
export const BOT_TOKEN = 'xoxb-e2e-0000000000-1111111111-abcdefABCDEF0123';
export const APP_TOKEN = 'xapp-1-A0OPSDECK-2222222222-abcdefABCDEF0123';
export const ALERT_CHANNEL = 'C0ALERTS';
export const ALICE = { id: 'U0ALICE', name: 'alice' };
export const OPS_CHANNEL = { id: 'C0OPS', name: 'ops' };
export const BOB = { id: 'U0BOB', name: 'bob' };
export const CAROL = { id: 'U0CAROL', name: 'carol' };

/**
 * ALICE runs /ops ping at once; BOB needs CAROL's approval for it. Every rule that applies holds
 * (the strictest wins), so ALICE is not in operators: the approval rule would apply to her too.
 */
export const PING_APPROVAL_ACCESS = {
  admins: 'approvers',
  groups: {
    trusted: { users: [ALICE.id] },
    operators: { users: [BOB.id] },
    approvers: { users: [CAROL.id] },
  },
  rules: [
    { command: 'ops ping', groups: ['trusted'] },
    {
      command: 'ops ping',
      groups: ['operators'],
      approval: { group: 'approvers', distinct: true },
    },
    { command: 'ops *', groups: ['trusted', 'operators'] },
  ],
};

/**
 * Where the stack's bot and workers connect to databases from (`network.sourceAddress`): an
 * address of their own, so the sandbox's security groups admit them only by a rule for it. The
 * test process itself connects from 127.0.0.1.
 */
export const WORKER_ADDRESS = '127.3.0.1';
export const WORKER_CIDR = `${WORKER_ADDRESS}/32`;

/** The default policy: ALICE (group operators, also the admins) may run every /ops subcommand. */
export const DEFAULT_ACCESS = {
  admins: 'operators',
  groups: { operators: { users: [ALICE.id] } },
  rules: [{ command: 'ops *', groups: ['operators'] }],
};

export interface E2eStackOptions {
  /** Keep the bot's log lines (JSON, as a deployed bot writes them) in `botLog`. */
  captureBotLog?: boolean;
  /** How often the bot sweeps expired approvals. */
  approvalSweepMs?: number;
  /** How often the bot tries the audit migrations again while they fail. */
  migrationRetryMs?: number;
  /** Slack user groups (S...) and their members, as the fake Slack Web API answers them. */
  usergroups?: Record<string, string[]>;
  /** The `redis` section (its `prefix` is the stack's own); default: the local Redis. */
  redis?: Record<string, unknown>;
  /** A hash-tag prefix (`{e2e_…}`), as Redis Cluster needs. */
  hashTagPrefix?: boolean;
  /** Start a sandbox cloud of the stack's own (seeded if asked) and point `aws` at it. */
  sandbox?: { seed?: boolean; config?: Partial<SandboxConfig> };
  /**
   * How Slack reaches the bot: signed HTTP POSTs to the Bolt receiver (default), or envelopes
   * over Socket Mode (the bot connects to the fake Slack with an app-level token).
   */
  transport?: SlackTransport;
  /** Socket Mode's reconnect waits (`slack.socket`); fast by default, for tests. */
  socket?: { reconnectBaseMs?: number; reconnectMaxMs?: number };
}

const ROOT = join(__dirname, '../..');

export interface SlackResponse {
  status: number;
  body:
    | {
        response_type?: string;
        text?: string;
        blocks?: unknown;
        response_action?: string;
        view?: unknown;
        errors?: Record<string, string>;
        options?: unknown[];
      }
    | string;
  ms: number;
}

/**
 * One isolated opsdeck for an end-to-end test: a fake Slack Web API, the real Bolt receiver
 * (HTTP, or Socket Mode with the `transport` option) in this process, and real worker processes
 * (spawned, so they can be killed), all on a Redis prefix of their own and an audit database of
 * their own. `overrides` replace whole config sections (`access` defaults to DEFAULT_ACCESS).
 */
export class E2eStack {
  /** The stack's Redis key prefix: a hash tag (`{e2e_…}`) with the `hashTagPrefix` option. */
  readonly prefix: string;
  readonly transport: SlackTransport;
  readonly env: NodeJS.ProcessEnv;
  readonly configPath: string;
  slack!: FakeSlackApi;
  /** With the `sandbox` option: the stack's sandbox cloud and SDK clients aimed at it. */
  sandbox?: TestSandbox;
  runtime!: Runtime;
  bot!: RunningBot;
  config!: OpsdeckConfig;
  /** The stack's own MySQL database (audit trail); dropped by `stop`. */
  database!: { name: string; drop: () => Promise<void> };
  /** Bot log lines, with `captureBotLog`. */
  readonly botLog: string[] = [];
  /** How long each answer to a delivered request took (HTTP response, or Socket Mode ack). */
  readonly answerMs: number[] = [];
  /** What immediate answers broke of Block Kit's limits (stop() fails on any). */
  private readonly answerViolations: string[] = [];
  /** Everything the worker processes wrote to stdout and stderr. */
  workerOutput = '';
  private workers: ChildProcess[] = [];
  /** The test's own connection to the stack's Redis (a `redis.url` of its own, else the local one). */
  readonly redis: IORedis;

  constructor(
    private readonly overrides: Record<string, unknown> = {},
    private readonly options: E2eStackOptions = {},
  ) {
    this.prefix = options.hashTagPrefix ? `{${uniqueName('e2e')}}` : uniqueName('e2e');
    this.transport = options.transport ?? 'http';
    const url = options.redis?.url;
    this.redis = new IORedis(typeof url === 'string' ? url : REDIS_URL, {
      maxRetriesPerRequest: null,
    });
    const dir = mkdtempSync(join(tmpdir(), 'opsdeck-e2e-'));
    this.configPath = join(dir, 'opsdeck.yaml');
    this.env = {
      ...process.env,
      OPSDECK_CONFIG: this.configPath,
      E2E_SLACK_SIGNING_SECRET: SIGNING_SECRET,
      E2E_SLACK_BOT_TOKEN: BOT_TOKEN,
      E2E_SLACK_APP_TOKEN: APP_TOKEN,
      OPSDECK_QUEUE_KEY: TEST_QUEUE_KEY,
    };
  }

  get botUrl(): string {
    return `http://127.0.0.1:${this.bot.port}`;
  }

  /** The worker processes started so far. */
  get workerProcesses(): readonly ChildProcess[] {
    return this.workers;
  }

  async start(): Promise<this> {
    this.slack = await startFakeSlackApi({
      appToken: APP_TOKEN,
      users: { [ALICE.id]: ALICE.name, [BOB.id]: BOB.name, [CAROL.id]: CAROL.name },
      timeZones: { [ALICE.id]: 'Europe/Paris' },
      channels: { [ALERT_CHANNEL]: 'devops_alert' },
      ...(this.options.usergroups && { usergroups: this.options.usergroups }),
    });
    this.database = await createTestDatabase('e2e');
    if (this.options.sandbox) {
      this.sandbox = await startTestSandbox(this.options.sandbox.config);
      // Production admits the test process (127.0.0.1) and the stack's bot and workers.
      if (this.options.sandbox.seed)
        await seedSandbox(this.sandbox.clients, {
          big: false,
          admit: ['127.0.0.1/32', WORKER_CIDR],
          caFile: this.sandbox.sandbox.caFile,
        });
      // The SDK wants credentials; the sandbox accepts any.
      Object.assign(this.env, {
        E2E_AWS_KEY_ID: 'AKIASANDBOX000000000',
        E2E_AWS_SECRET: 'sandbox-secret-key',
      });
    }
    const doc = {
      slack: {
        mode: this.transport,
        signingSecretEnv: 'E2E_SLACK_SIGNING_SECRET',
        botTokenEnv: 'E2E_SLACK_BOT_TOKEN',
        appTokenEnv: 'E2E_SLACK_APP_TOKEN',
        apiUrl: this.slack.url,
        alertChannel: ALERT_CHANNEL,
        socket: { reconnectBaseMs: 200, reconnectMaxMs: 2000, ...this.options.socket },
      },
      http: { host: '127.0.0.1', port: 0, workerPort: 0, feedsWorkerPort: 0 },
      redis: { ...(this.options.redis ?? { url: REDIS_URL }), prefix: this.prefix },
      mysql: localMysqlSection(this.database.name),
      access: DEFAULT_ACCESS,
      queue: { lockDurationMs: 4000, stalledIntervalMs: 1000, shutdownTimeoutMs: 5000 },
      notify: {
        postIntervalMs: 50,
        updateIntervalMs: 50,
        retryBaseDelayMs: 100,
        retryMaxDelayMs: 500,
      },
      runbook: { progressIntervalMs: 0 },
      log: { level: 'info' },
      network: { sourceAddress: WORKER_ADDRESS },
      ...(this.sandbox
        ? {
            aws: {
              region: 'us-east-1',
              endpoint: this.sandbox.sandbox.url,
              accessKeyIdEnv: 'E2E_AWS_KEY_ID',
              secretAccessKeyEnv: 'E2E_AWS_SECRET',
            },
          }
        : {}),
      ...this.overrides,
    };
    writeFileSync(this.configPath, stringify(doc));
    const config = parseConfig(stringify(doc), this.configPath);
    this.config = config;
    const logger = this.options.captureBotLog
      ? createLogger(
          config.log.level,
          'opsdeck-bot',
          new Writable({
            write: (chunk: Buffer, _encoding, done) => {
              this.botLog.push(chunk.toString());
              done();
            },
          }),
        )
      : pino({ level: 'silent' });
    this.runtime = createRuntime(config, readSecrets(config, this.env), logger, this.env);
    this.bot = await startBot(this.runtime, {
      ...(this.options.approvalSweepMs !== undefined && {
        approvalSweepMs: this.options.approvalSweepMs,
      }),
      ...(this.options.migrationRetryMs !== undefined && {
        migrationRetryMs: this.options.migrationRetryMs,
      }),
    });
    return this;
  }

  /** Starts a worker process (every role in it, unless `args` say otherwise); resolves once it reports ready. */
  async startWorker(args: string[] = ['--role', 'all']): Promise<ChildProcess> {
    // node itself with tsx as a loader (not the tsx CLI, which forks): a SIGKILL must hit the worker.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/app/worker.ts'), ...args],
      {
        cwd: ROOT,
        env: this.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.workers.push(child);
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 90_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        this.workerOutput += chunk.toString();
        if (output.includes('worker ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`worker exited (${code}):\n${output}`)));
    });
    return child;
  }

  /** The AWS actions (`rds:DescribeDBInstances`) the bot and its workers called on the sandbox. */
  awsActions(): string[] {
    return this.sandbox ? this.sandbox.sandbox.access.actions(this.env.E2E_AWS_KEY_ID) : [];
  }

  /** The job's checkpoint as the engine last saved it (steps done, runbook state), if any. */
  async checkpoint(jobId: string): Promise<Checkpoint | undefined> {
    const job = await this.runtime.jobs.get(jobId);
    return job?.data.checkpoint as Checkpoint | undefined;
  }

  /**
   * Makes a pending approval look as if its time ran out a second ago, signed as the bot signs
   * it (the expiry is covered by the approval's MAC; an edit without the key is tampering).
   */
  async ageOutApproval(approvalId: string): Promise<void> {
    const key = `${this.prefix}:approval:${approvalId}`;
    const past = Date.now() - 1000;
    const record = await this.redis.hget(key, 'record');
    if (record === null) throw new Error(`no approval ${approvalId}`);
    const mac = signApproval(this.runtime.secrets.workSigner, approvalId, past, record);
    await this.redis.hset(key, 'expiresAt', String(past), 'mac', mac);
    await this.redis.zadd(`${this.prefix}:approvals:pending`, past, approvalId);
  }

  /** SIGKILLs a running worker process (no shutdown of any kind) and waits until it is gone. */
  async killWorker(): Promise<void> {
    const worker = this.workers.find((w) => w.exitCode === null && !w.killed);
    if (!worker) throw new Error('no running worker to kill');
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.kill('SIGKILL');
    await exited;
  }

  /**
   * POSTs a signed request to the HTTP receiver as Slack would (whatever the transport: with
   * Socket Mode there is none, and this finds out); `timestamp` overrides the signing time.
   */
  async post(
    body: string,
    options: { secret?: string; timestamp?: number } = {},
  ): Promise<SlackResponse> {
    const headers = slackSignatureHeaders(
      options.secret ?? SIGNING_SECRET,
      body,
      options.timestamp,
    );
    const started = performance.now();
    const res = await fetch(`${this.botUrl}/slack/events`, { method: 'POST', headers, body });
    const text = await res.text();
    const ms = performance.now() - started;
    this.answerMs.push(ms);
    return this.checked({ status: res.status, body: parseAnswer(text), ms });
  }

  /**
   * Sends a request in Slack's format the way the stack's transport does: a signed POST, or an
   * envelope over Socket Mode answered by its ack (`options` play what Slack does to envelopes).
   */
  async deliver(body: string, options: DeliverOptions = {}): Promise<SlackResponse> {
    if (this.transport === 'http') return this.post(body);
    const answer = await socketModeDelivery(this.slack.socket, options)(body);
    this.answerMs.push(answer.ms);
    return this.checked({ status: answer.status, body: parseAnswer(answer.text), ms: answer.ms });
  }

  /**
   * Keeps what an immediate answer (an ack's body) breaks of Block Kit's limits, as Slack would
   * refuse it: a message's blocks, the view of a `response_action` (update, push), the options
   * of a block_suggestion answer.
   */
  private checked(response: SlackResponse): SlackResponse {
    const body = typeof response.body === 'object' ? response.body : undefined;
    if (body?.blocks !== undefined)
      for (const message of blockKitViolations(body.blocks)) this.answerViolations.push(message);
    if (body?.view !== undefined) {
      const view = viewContent(body.view);
      if ('error' in view)
        this.answerViolations.push(...(view.response_metadata?.messages ?? [view.error]));
    }
    if (body?.options !== undefined) {
      const options = blockKitViolations(
        [
          {
            type: 'input',
            label: { type: 'plain_text', text: 'x' },
            element: { options: body.options },
          },
        ],
        'modal',
      );
      this.answerViolations.push(...options);
    }
    return response;
  }

  slashBody(text: string, extra: Partial<SlashCommandRequest> = {}): string {
    return slashCommandBody({
      command: '/ops',
      text,
      user: ALICE,
      channel: OPS_CHANNEL,
      responseUrl: this.slack.responseUrl(uniqueName('r')),
      ...extra,
    });
  }

  slash(text: string, extra: Partial<SlashCommandRequest> = {}): Promise<SlackResponse> {
    return this.deliver(this.slashBody(text, extra));
  }

  clickBody(
    actionId: string,
    value: string,
    messageTs: string,
    user: { id: string; name: string } = ALICE,
  ): string {
    return blockActionBody({
      actionId,
      value,
      user,
      channel: { id: ALERT_CHANNEL, name: 'devops_alert' },
      responseUrl: this.slack.responseUrl(uniqueName('click')),
      messageTs,
    });
  }

  /**
   * Clicks a button as `user` (a block_actions payload, by the stack's transport) and resolves
   * with what the bot answered through the click's response_url.
   */
  async click(
    actionId: string,
    value: string,
    messageTs: string,
    user: { id: string; name: string } = ALICE,
  ): Promise<string> {
    const responseId = uniqueName('click');
    const body = blockActionBody({
      actionId,
      value,
      user,
      channel: { id: ALERT_CHANNEL, name: 'devops_alert' },
      responseUrl: this.slack.responseUrl(responseId),
      messageTs,
    });
    const res = await this.deliver(body);
    if (res.status !== 200) throw new Error(`click answered HTTP ${res.status}`);
    const call = await waitFor(
      () =>
        this.slack.calls.find(
          (c) => c.method === 'respond' && c.args.response_id === responseId && c.status === 200,
        ),
      10_000,
      `the answer to the ${actionId} click`,
    );
    return shown(String(call.args.text));
  }

  /**
   * The job's root message and its thread replies, as Slack shows them now (entities decoded, as
   * a reader sees them): one per line the job said (replies that queued up arrive folded into one message, each line with its own time).
   */
  thread(jobId: string): { root?: { ts: string; text: string }; replies: string[] } {
    const messages = this.slack.messages(ALERT_CHANNEL);
    // The job's root says `job <id>`; an emergency's announcement and reminders name the job too.
    const found = messages.find((m) => !m.thread_ts && m.text.includes(`job \`${jobId}\``));
    const root = found && { ...found, text: shown(found.text) };
    const replies = root
      ? messages
          .filter((m) => m.thread_ts === root.ts)
          .flatMap((m) => unfoldReplies(m.text))
          .map(shown)
      : [];
    return { ...(root ? { root } : {}), replies };
  }

  /** The approval's root message in the alert channel, as Slack shows it now. */
  approvalMessage(approvalId: string): FakeMessage | undefined {
    return this.slack
      .messages(ALERT_CHANNEL)
      .find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(approvalId));
  }

  /**
   * For an ack that says a request waits for approval: its approval id, the job it will run as,
   * and the approval message once posted.
   */
  async pendingApproval(
    ack: string,
  ): Promise<{ approvalId: string; jobId: string; message: FakeMessage }> {
    const approvalId = /`(apv_[0-9a-f]{24})`/.exec(ack)?.[1];
    if (!approvalId) throw new Error(`no approval id in: ${ack}`);
    const jobId = jobIdIn(ack.slice(ack.indexOf('runs as')));
    return { approvalId, jobId, message: await this.waitForApprovalMessage(approvalId) };
  }

  /** Waits until the approval's message has been posted. */
  waitForApprovalMessage(approvalId: string): Promise<FakeMessage> {
    return waitFor(() => this.approvalMessage(approvalId), 10_000, 'the approval message');
  }

  /**
   * Waits until the job's root message says how it ended. Thread messages are delivered in
   * order, so by then every reply is in too; `lines` are the replies without their time token.
   */
  async finishedThread(
    jobId: string,
    outcome: 'succeeded' | 'failed' | 'cancelled',
    timeoutMs = 60_000,
  ): Promise<{ root: { ts: string; text: string }; replies: string[]; lines: string[] }> {
    const thread = await waitFor(
      () => {
        const t = this.thread(jobId);
        return t.root?.text.includes(outcome) ? t : null;
      },
      timeoutMs,
      `job ${jobId}'s root message to say ${outcome}`,
    ).catch((error: Error) => {
      const { root, replies } = this.thread(jobId);
      const shown = [root?.text ?? '(no root message)', ...replies.map(withoutTime)].join('\n  ');
      throw new Error(`${error.message}; the thread so far:\n  ${shown}`);
    });
    return { root: thread.root!, replies: thread.replies, lines: thread.replies.map(withoutTime) };
  }

  /**
   * Stops everything, then fails if the bot sent Slack anything that breaks Block Kit's limits
   * (the fake refuses such calls as Slack does; an ack's body is checked on arrival): every e2e
   * test checks every message it makes the bot build.
   */
  async stop(): Promise<void> {
    const refused = [
      ...(this.slack?.blockKitRefusals() ?? []),
      ...this.answerViolations.map((message) => ({ method: 'ack', messages: [message] })),
    ];
    await Promise.all(
      this.workers
        .filter((worker) => worker.exitCode === null && worker.signalCode === null)
        .map((worker) => {
          const exited = new Promise((resolve) => worker.once('exit', resolve));
          worker.kill('SIGKILL');
          return exited;
        }),
    );
    await this.bot?.stop();
    await this.runtime?.close();
    await this.slack?.stop();
    await this.database?.drop();
    await this.sandbox?.dispose();
    await deleteRedisPrefix(this.redis, this.prefix);
    this.redis.disconnect();
    if (refused.length > 0)
      throw new Error(`Slack would refuse what the bot sent: ${JSON.stringify(refused, null, 2)}`);
  }
}

/** An answer's body: its JSON, or the text itself. */
function parseAnswer(text: string): SlackResponse['body'] {
  try {
    return JSON.parse(text) as SlackResponse['body'];
  } catch {
    return text;
  }
}

export function jobIdIn(text: string): string {
  const match = /`((?:[a-z][a-z0-9-]*)-[0-9a-f]{10})`/.exec(text);
  if (!match) throw new Error(`no job id in: ${text}`);
  return match[1]!;
}

/** A thread line without its leading Slack time token. */
export function withoutTime(line: string): string {
  return line.replace(/^<!date\^\d+\^\{time_secs\}\|[^>]+> /, '');
}
