import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { APPROVE_ACTION_ID } from '../../src/approvals/approval-messages';
import { sandboxCaFile } from '../../devkit/sandbox/sandbox';
import { SEED } from '../../devkit/sandbox/seed';
import { ALICE, BOB, E2eStack, waitFor, WORKER_CIDR } from '../helpers/e2e-stack';

/**
 * Nothing typed can write Slack markup: random strings of mentions, links, date tokens, `&<>`,
 * bidirectional and control characters go through every command's arguments, through the real
 * front door (signed requests into Bolt) and a real worker (jobs that run, approvals that are
 * posted and approved, thread lines, root edits), and no text the bot sends anywhere (acks,
 * root messages, thread replies, updates, ephemeral answers, approval messages and their
 * blocks) holds a `<!`, `<@`, `<#` or `<http` the bot did not mean to write: only mentions of the
 * stack's own users and date tokens of real times.
 */

const SCRIPT = join(__dirname, '../fixtures/deploy/fake-deploy.sh');
const RUNS = 36;

const HOSTILE = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<!subteam^S0EVIL>',
  '<@U0EVIL>',
  '<#C0EVIL>',
  '<https://evil.example|Approve here>',
  '<http://evil.example>',
  '<!date^1^{date}|x>',
  '&',
  '<',
  '>',
  '&lt;',
  '&amp;',
  '\u202e',
  '\u2066',
  '\u200b',
  '\u0007',
  '\n',
  ' ',
  '"',
  '`',
  '*',
  '|',
  'a',
  'z',
  '7',
  '-',
  '.',
  '/',
  '@',
  '!',
];
/** Pieces a git ref may hold (check-ref-format allows `<`, `>`, `!`, `&`, `@`, `|`). */
const REF_PIECES = [
  '<!channel>',
  '<@U0EVIL>',
  '<#C0EVIL>',
  '<!here>',
  '&',
  '<',
  '>',
  '|',
  'v1',
  'a',
  '!',
];

const hostile = fc
  .array(fc.constantFrom(...HOSTILE), { minLength: 1, maxLength: 8 })
  .map((parts) => parts.join(''));
const ref = fc
  .array(fc.constantFrom(...REF_PIECES), { minLength: 1, maxLength: 5 })
  .map((parts) => `r${parts.join('')}`);

type Line = [command: string, text: string];
/** Every command's arguments, each fed the random string where an argument goes. */
const LINES: ((s: string, r: string, n: number) => Line)[] = [
  (s) => ['/ops', `ping --ticks ${s}`],
  (s) => ['/ops', `ping --tick-seconds ${s}`],
  (s) => ['/ops', `cancel ${s}`],
  (s) => ['/ops', `audit ${s}`],
  (s) => ['/ops', s],
  (s) => ['/deploy', `billing staging ${s}`],
  (_s, r) => ['/deploy', `billing staging ${r}`],
  (_s, r) => ['/deploy', `billing prod ${r}`],
  (s) => ['/deploy', `lock billing canary ${s}`],
  (s) => ['/deploy', `output ${s} ${s}`],
  (s) => ['/deploy', `history ${s} staging`],
  (s) => ['/deploy', `status ${s}`],
  (s) => ['/deploy', s],
  (s, _r, n) => ['/phz', `add fz${n}.prod.example.internal "${s}" --type TXT`],
  (s, _r, n) => ['/phz', `add ${s} fz${n}.example.internal`],
  (s) => ['/phz', `list ${s}`],
  (s) => ['/phz', `remove ${s}`],
  (s) => ['/restore-table', `billing ${s} --at 1m ago`],
  (s) => ['/restore-table', `billing billing.customers --at ${s}`],
  (s) => ['/seed-slave', `${s} onprem`],
  (s) => ['/seed-slave', `status ${s}`],
];

/** The markup tokens the bot means to write: its users' mentions and date tokens of real times. */
function unintendedMarkup(raw: string): string[] {
  const found: string[] = [];
  for (const match of raw.matchAll(/<(?:!|@|#|http)[^>]*>?/g)) {
    const token = match[0];
    if (/^<@U0(?:ALICE|BOB)>$/.test(token)) continue;
    const date = /^<!date\^(\d+)\^\{[a-z_]+\}(?: \{[a-z_]+\})?\|[0-9TZ:.-]+>$/.exec(token);
    if (date && Math.abs(Number(date[1]) * 1000 - Date.now()) < 86_400_000) continue;
    found.push(token);
  }
  return found;
}

/**
 * Every string of a call Slack would read as mrkdwn: its text and the blocks' mrkdwn and section
 * texts, also inside blocks sent as a JSON string. `plain_text` objects (buttons, confirm
 * dialogs) are skipped: Slack shows them literally, markup and all, so nothing in them pings.
 */
function mrkdwnStrings(value: unknown): string[] {
  if (typeof value === 'string') {
    if (/^\s*[[{]/.test(value)) {
      try {
        return mrkdwnStrings(JSON.parse(value));
      } catch {
        return [value];
      }
    }
    return [value];
  }
  if (Array.isArray(value)) return value.flatMap(mrkdwnStrings);
  if (value !== null && typeof value === 'object') {
    if ((value as { type?: unknown }).type === 'plain_text') return [];
    return Object.values(value).flatMap(mrkdwnStrings);
  }
  return [];
}

describe('no typed text becomes Slack markup (property, end to end)', () => {
  let stack: E2eStack;
  const acks: { line: Line; text: string }[] = [];
  const jobs = new Set<string>();

  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), 'opsdeck-fuzz-'));
    const sandboxDir = mkdtempSync(join(tmpdir(), 'opsdeck-sbx-'));
    const environment = (env: string) => {
      mkdirSync(join(root, env));
      return {
        command: [SCRIPT, join(root, env), '{host}', '{ref}', '{app}', '{env}'],
        targets: { hosts: ['10.0.0.1', '10.0.0.2'] },
        defaultRef: 'main',
        hostTimeoutSeconds: 30,
      };
    };
    stack = new E2eStack(
      {
        access: {
          admins: 'operators',
          groups: { operators: { users: [ALICE.id, BOB.id] } },
          rules: [
            {
              command: 'deploy',
              targets: ['billing/prod'],
              groups: ['operators'],
              approval: { group: 'operators', distinct: true },
            },
            { command: '*', targets: ['*'], groups: ['operators'] },
            { command: '*', groups: ['operators'] },
          ],
        },
        deploy: {
          apps: {
            billing: {
              environments: {
                staging: environment('staging'),
                prod: environment('prod'),
                canary: environment('canary'),
              },
            },
          },
          outputDir: join(root, 'output'),
        },
        phz: { defaultZone: 'prod.example.internal', pollIntervalMs: 200 },
        databases: {
          // The sandbox's instances accept only TLS: checked against its CA.
          billing: {
            instance: 'production',
            user: 'admin',
            passwordEnv: 'E2E_DB_PASSWORD',
            tls: { mode: 'verify-identity', caFile: sandboxCaFile(sandboxDir) },
          },
        },
        restoreTable: { workerCidr: WORKER_CIDR },
        runbook: { progressIntervalMs: 0 },
      },
      { sandbox: { seed: true, config: { dataDir: sandboxDir, route53SyncDelayMs: 200 } } },
    );
    stack.env.E2E_DB_PASSWORD = SEED.masterPassword;
    await stack.start();
    await stack.startWorker();
  }, 180_000);
  afterAll(() => stack.stop());

  it(`sends ${RUNS} random hostile lines through every command, and approves what waits`, async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(hostile, ref, async (s, r) => {
        // Every command line in turn (each at least once), with random strings.
        const line = LINES[n % LINES.length]!(s, r, n);
        n += 1;
        const res = await stack.slash(line[1], { command: line[0] });
        const text = typeof res.body === 'string' ? res.body : (res.body.text ?? '');
        acks.push({ line, text });
        for (const [, jobId] of text.matchAll(/(?:Queued|runs as) `([a-z-]+-[0-9a-f]{10})`/g))
          jobs.add(jobId!);
        if (line[1].startsWith('lock '))
          await stack.slash('unlock billing canary', { command: '/deploy' });
        expect(unintendedMarkup(text)).toEqual([]);
      }),
      {
        numRuns: RUNS,
        seed: Number(process.env.FUZZ_SEED ?? Date.now() % 100_000),
        endOnFailure: true,
      },
    );
    // Every approval posted so far, approved by the other person: its job runs too.
    const approvals = stack.slack
      .messages('C0ALERTS')
      .flatMap((m) =>
        [...JSON.stringify(m.blocks ?? []).matchAll(/"(apv_[0-9a-f]{24})"/g)].map(
          (x) => [x[1]!, m.ts] as const,
        ),
      );
    for (const [approvalId, ts] of approvals) {
      acks.push({
        line: ['click', approvalId],
        text: await stack.click(APPROVE_ACTION_ID, approvalId, ts, BOB),
      });
    }
    // Wait until every job that started has ended and said so.
    for (const jobId of jobs) {
      await waitFor(
        async () =>
          (await stack.runtime.jobs.get(jobId)) === undefined ||
          !(await stack.runtime.jobs.isRunning(jobId)),
        90_000,
        `job ${jobId} to end`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the outbox's last edits

    const offending = [
      ...acks.map((a) => ({ where: `ack of ${a.line.join(' ')}`, raw: a.text })),
      ...stack.slack.calls.flatMap((c) =>
        mrkdwnStrings(c.args).map((raw) => ({ where: c.method, raw })),
      ),
    ]
      .map(({ where, raw }) => {
        const tokens = unintendedMarkup(raw);
        const at = tokens.length > 0 ? raw.indexOf(tokens[0]!) : 0;
        return { where, tokens, context: raw.slice(Math.max(0, at - 300), at + 100) };
      })
      .filter((o) => o.tokens.length > 0);
    expect(offending).toEqual([]);
    // The property saw real traffic: jobs run by the worker (root messages, thread replies, root
    // edits), approvals posted and decided, ephemeral answers.
    const count = (method: string, thread?: boolean) =>
      stack.slack.calls.filter(
        (c) =>
          c.method === method &&
          (thread === undefined || (c.args.thread_ts !== undefined) === thread),
      ).length;
    expect(jobs.size).toBeGreaterThan(0);
    expect(approvals.length).toBeGreaterThan(0);
    expect(count('chat.postMessage', false)).toBeGreaterThan(0);
    expect(count('chat.postMessage', true)).toBeGreaterThan(0);
    expect(count('chat.update')).toBeGreaterThan(0);
    expect(count('respond')).toBeGreaterThan(0);
  }, 600_000);

  it('the check itself sees markup a message would ping with, wherever Slack reads mrkdwn', () => {
    expect(
      mrkdwnStrings({
        text: 'a',
        blocks: JSON.stringify([
          { type: 'section', text: { type: 'mrkdwn', text: 'b' } },
          { type: 'actions', elements: [{ text: { type: 'plain_text', text: '<!channel>' } }] },
        ]),
      }),
    ).toEqual(['a', 'section', 'mrkdwn', 'b', 'actions']);
    expect(unintendedMarkup('ok <!channel> and <https://evil.example|x> and <@U0EVIL>')).toEqual([
      '<!channel>',
      '<https://evil.example|x>',
      '<@U0EVIL>',
    ]);
    const now = Math.floor(Date.now() / 1000);
    expect(
      unintendedMarkup(
        `&lt;!channel&gt; by <@U0ALICE> at <!date^${now}^{time_secs}|2026-12-03T18:30:53Z>`,
      ),
    ).toEqual([]);
    expect(unintendedMarkup('<!date^1^{date}|x>')).toEqual(['<!date^1^{date}|x>']);
  });
});
