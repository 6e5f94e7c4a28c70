import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import mysql from 'mysql2/promise';
import { mysqlConnectOptions } from '../../src/mysql/connect-options';
import { loadMysqlTls } from '../../src/mysql/connection-tls';
import { sandboxCaFile } from '../../devkit/sandbox/sandbox';
import { SEED } from '../../devkit/sandbox/seed';
import type { FakeView, RecordedCall } from '../../devkit/slack/fake-slack-api';
import { newTriggerId } from '../../devkit/slack/slack-payloads';
import {
  blockSuggestionBody,
  messageShortcutBody,
  viewButtonBody,
  viewSelectBody,
  viewSubmissionBody,
  type ViewFills,
} from '../../devkit/slack/view-payloads';
import type { JobEnvelope } from '../../src/runbook/job-envelope';
import { ALICE, BOB, E2eStack, OPS_CHANNEL, jobIdIn, waitFor } from '../helpers/e2e-stack';
import { uniqueName } from '../helpers/services';
import { answerText, shown } from '../helpers/slack-text';

/**
 * Forms instead of flags, and the "Restore a table to before this message" shortcut, end to end:
 * message_action, view_submission, block_actions inside a view and block_suggestion payloads in
 * Slack's formats, signed, into the real Bolt receiver; the views the fake Slack Web API recorded
 * (checked against Block Kit's modal limits by the fake, and every ack's view by the stack); the
 * restore form planned against the seeded sandbox (its restore window, production's tables).
 * No worker runs: a queued job stays in the queue, where its data is compared.
 */

/** More databases than a select may list (100): the database picker becomes an external select. */
const EXTRA_DATABASES = 120;
/** More tables than a suggestion may list (100). */
const EXTRA_TABLES = 110;

const ACCESS = {
  admins: 'operators',
  groups: { operators: { users: [ALICE.id] } },
  rules: [
    { command: 'restore-table', targets: ['*'], groups: ['operators'] },
    { command: 'deploy', targets: ['*'], groups: ['operators'] },
    { command: 'phz *', targets: ['*'], groups: ['operators'] },
    { command: 'ops *', groups: ['operators'] },
  ],
};

describe('forms and the restore shortcut end to end', () => {
  let stack: E2eStack;
  let sandboxDir: string;

  async function opened(triggerId: string): Promise<FakeView> {
    const call = await waitFor(
      () =>
        stack.slack.calls.find(
          (c) => c.method === 'views.open' && c.args.trigger_id === triggerId && c.status === 200,
        ),
      10_000,
      'views.open',
    );
    const id = (call.response as { view?: { id: string } }).view?.id;
    if (!id) throw new Error(`views.open failed: ${JSON.stringify(call.response)}`);
    return stack.slack.view(id)!;
  }

  async function shortcut(messageTs: string, user = ALICE): Promise<FakeView> {
    const triggerId = newTriggerId();
    stack.slack.issueTrigger(triggerId, user.id);
    const res = await stack.deliver(
      messageShortcutBody({
        callbackId: 'restore_before_message',
        user,
        channel: OPS_CHANNEL,
        message: { ts: messageTs, text: 'ran DELETE FROM invoices', user: 'U0SOMEONE' },
        responseUrl: stack.slack.responseUrl(uniqueName('sc')),
        triggerId,
      }),
    );
    expect(res.status).toBe(200);
    return opened(triggerId);
  }

  async function typedForm(command: string, text = ''): Promise<FakeView> {
    const triggerId = newTriggerId();
    stack.slack.issueTrigger(triggerId, ALICE.id);
    const res = await stack.slash(text, { command, triggerId });
    expect(res.status).toBe(200);
    return opened(triggerId);
  }

  function submit(view: FakeView, fills: ViewFills, user = ALICE, triggerId = newTriggerId()) {
    return stack.deliver(viewSubmissionBody({ user, view, fills, triggerId }));
  }

  /** The ephemeral answer a submission got in the channel the form came from. */
  function answered(user: string, after: number): Promise<string> {
    return waitFor(
      () => {
        const e = stack.slack
          .ephemerals(OPS_CHANNEL.id)
          .filter((m) => m.user === user)
          .at(after);
        return e ? shown(e.text) : undefined;
      },
      10_000,
      'the answer to the form',
    );
  }

  const ephemeralCount = (user: string) =>
    stack.slack.ephemerals(OPS_CHANNEL.id).filter((m) => m.user === user).length;

  const blockOf = (view: FakeView, id: string) =>
    (view.view.blocks as { block_id?: string; element?: Record<string, unknown> }[]).find(
      (b) => b.block_id === id,
    );

  const errorsOf = (res: { body: unknown }) =>
    (res.body as { response_action?: string; errors?: Record<string, string> }).errors ?? {};

  /** A message ts for "now", once the seeded instance has a second of restorable past. */
  const messageTsNow = () => `${Math.floor(Date.now() / 1000)}.000200`;

  beforeAll(async () => {
    sandboxDir = mkdtempSync(join(tmpdir(), 'opsdeck-sbx-'));
    const tls = { mode: 'verify-identity', caFile: sandboxCaFile(sandboxDir) };
    const extra = Object.fromEntries(
      Array.from({ length: EXTRA_DATABASES }, (_, i) => [
        `db-${String(i).padStart(3, '0')}`,
        { instance: `db-${i}`, user: 'admin', passwordEnv: 'E2E_DB_PASSWORD', tls: { ...tls } },
      ]),
    );
    stack = new E2eStack(
      {
        access: ACCESS,
        databases: {
          billing: { instance: 'production', user: 'admin', passwordEnv: 'E2E_DB_PASSWORD', tls },
          ...extra,
        },
        restoreTable: { workerCidr: '127.3.0.1/32' },
        deploy: {
          apps: {
            billing: {
              environments: {
                staging: {
                  targets: { hosts: ['10.0.0.1', '10.0.0.2'] },
                  command: ['/bin/true', '{host}', '{ref}'],
                  defaultRef: 'main',
                },
              },
            },
            shop: {
              environments: {
                prod: { targets: { hosts: ['10.0.1.1'] }, command: ['/bin/true', '{host}'] },
              },
            },
          },
        },
        phz: { defaultZone: 'prod.example.internal' },
      },
      { sandbox: { seed: true, config: { dataDir: sandboxDir, restorableLagMs: 0 } } },
    );
    stack.env.E2E_DB_PASSWORD = SEED.masterPassword;
    await stack.start();
    const { DBInstances } = await stack.sandbox!.clients.rds.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'production' }),
    );
    const endpoint = {
      host: DBInstances![0]!.Endpoint!.Address!,
      port: DBInstances![0]!.Endpoint!.Port!,
    };
    const prod = await mysql.createConnection({
      ...endpoint,
      ...mysqlConnectOptions(
        endpoint,
        loadMysqlTls('test', { mode: 'verify-identity', caFile: sandboxCaFile(sandboxDir) }),
      ),
      user: SEED.masterUsername,
      password: SEED.masterPassword,
    });
    for (let i = 0; i < EXTRA_TABLES; i++)
      await prod.query(`CREATE TABLE billing.t_${String(i).padStart(3, '0')} (id INT PRIMARY KEY)`);
    await prod.end();
    // The restore window starts at the instance's creation: leave it a past to restore to.
    await new Promise((resolve) => setTimeout(resolve, 2500));
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    if (sandboxDir) rmSync(sandboxDir, { recursive: true, force: true });
  });

  it('the message shortcut opens the restore form at one second before the message, in the user’s zone and in UTC', async () => {
    const view = await shortcut('1796400000.123456'); // 2026-12-04T16:00:00.123456Z
    expect(view.user).toBe(ALICE.id);
    expect(view.view.callback_id).toBe('opsdeck.form.restore-table');
    const text = JSON.stringify(view.view.blocks);
    expect(text).toContain('4 Dec 2026, 16:59:59 CET');
    expect(text).toContain('(Europe/Paris)');
    expect(text).toContain('2026-12-04T15:59:59Z in UTC');
    expect(blockOf(view, 'at')!.element!.initial_value).toBe('2026-12-04T15:59:59Z');
    // 121 databases: more than a select may list, so the picker is an external select.
    expect(blockOf(view, 'database')!.element!.type).toBe('external_select');
    expect(blockOf(view, 'table')!.element!.type).toBe('external_select');
    const modes = blockOf(view, 'mode')!.element!.options as { description: { text: string } }[];
    expect(modes.map((m) => m.description.text)).toEqual([
      'restored rows go into a side table; production is not touched',
      'then inserts the missing rows into production (second approval)',
      'then swaps the restored table in; the old one is kept (second approval)',
    ]);
    // A Preview redraws the form: the time the shortcut chose is still shown above it.
    await stack.deliver(
      viewButtonBody({
        user: ALICE,
        view,
        fills: { database: 'billing', table: 'billing.invoices' },
        actionId: 'opsdeck.form.preview',
        value: 'restore-table',
        blockId: 'preview-button',
      }),
    );
    const redrawn = await waitFor(
      () => {
        const v = stack.slack.view(view.id)!;
        return blockOf(v, 'preview') ? v : undefined;
      },
      10_000,
      'the preview',
    );
    expect(JSON.stringify(redrawn.view.blocks)).toContain('4 Dec 2026, 16:59:59 CET');
    expect(stack.slack.blockKitRefusals()).toEqual([]);
  });

  it('suggests databases and the chosen database’s tables as typed, at most 100, only to who may restore', async () => {
    const view = await shortcut(messageTsNow());
    const suggest = async (actionId: string, value: string, fills: ViewFills, user = ALICE) => {
      const res = await stack.deliver(blockSuggestionBody({ user, view, fills, actionId, value }));
      expect(res.status).toBe(200);
      return ((res.body as { options: { value: string }[] }).options ?? []).map((o) => o.value);
    };
    const databases = await suggest('database', '', {});
    expect(databases).toHaveLength(100);
    expect(await suggest('database', 'bill', {})).toEqual(['billing']);
    const tables = await suggest('table', '', { database: 'billing' });
    expect(tables).toHaveLength(100);
    expect(await suggest('table', 'invoi', { database: 'billing' })).toEqual(['billing.invoices']);
    // Someone the rules do not let restore gets no names at all (BOB's own form).
    const bobs = await shortcut(messageTsNow(), BOB);
    const res = await stack.deliver(
      blockSuggestionBody({
        user: BOB,
        view: bobs,
        fills: { database: 'billing' },
        actionId: 'table',
        value: '',
      }),
    );
    expect((res.body as { options: unknown[] }).options).toEqual([]);
  });

  it('a submitted form queues the same job, with the same audit events, as the typed command', async () => {
    const view = await shortcut(messageTsNow());
    const at = blockOf(view, 'at')!.element!.initial_value as string;
    const before = ephemeralCount(ALICE.id);
    const res = await submit(view, { database: 'billing', table: 'billing.invoices' });
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    const formJob = jobIdIn(await answered(ALICE.id, before));

    const typed = await stack.slash(`billing billing.invoices --at ${at} --mode side`, {
      command: '/restore-table',
    });
    const typedJob = jobIdIn(answerText(typed));
    expect(typedJob).not.toBe(formJob);

    const data = async (jobId: string) => {
      const job = await stack.runtime.jobs.get(jobId);
      const { meta, input } = job!.data as unknown as JobEnvelope;
      // What differs by request: its own id, time and correlation id.
      const rest: Partial<JobEnvelope['meta']> = { ...meta };
      delete rest.jobId;
      delete rest.requestedAt;
      delete rest.correlationId;
      return { meta: rest, input };
    };
    const formData = await data(formJob);
    expect(formData).toEqual(await data(typedJob));
    expect(formData.meta.command).toBe(
      `/restore-table billing billing.invoices --at ${at} --mode side`,
    );
    expect(formData.meta.channel).toEqual({ id: OPS_CHANNEL.id, name: OPS_CHANNEL.name });

    const events = async (jobId: string) =>
      (await stack.runtime.auditStore.jobEvents(jobId)).map((row) => ({
        type: row.type,
        actor: [row.actorId, row.actorName],
        channel: [row.channelId, row.channelName],
        command: row.command,
        target: row.target,
        args: row.argsJson,
        detail: row.detailJson,
      }));
    const formEvents = await events(formJob);
    expect(formEvents.map((e) => e.type)).toEqual(['requested']);
    expect(formEvents).toEqual(await events(typedJob));

    // Where the bot may not post (a private channel it is not in), the answer comes as a DM.
    const other = await shortcut(messageTsNow());
    stack.slack.script('chat.postEphemeral', [{ error: 'channel_not_found' }]);
    await submit(other, { database: 'billing', table: 'billing.invoices' });
    const dm = await waitFor(
      () => stack.slack.messages(ALICE.id).at(-1),
      10_000,
      'the answer in a DM',
    );
    expect(shown(dm.text)).toMatch(/^:inbox_tray: Queued `restore-table-[0-9a-f]{10}`/);
  });

  it('puts the parser’s and the planner’s errors on the field they concern, and runs nothing', async () => {
    const view = await shortcut(messageTsNow());
    const jobsBefore = await stack.runtime.opsQueue.count();
    const cases: [ViewFills, string, RegExp][] = [
      [
        { database: 'billing', table: 'billing.nope' },
        'table',
        /table billing\.nope does not exist/,
      ],
      [{ database: 'billing', table: 'bad name!' }, 'table', /must be <schema>\.<table>/],
      [
        { database: 'nope', table: 'billing.invoices' },
        'database',
        /nope is not a configured database/,
      ],
      [
        { database: 'billing', table: 'billing.invoices', at: 'yesterday' },
        'at',
        /must be an ISO-8601/,
      ],
      [
        { database: 'billing', table: 'billing.invoices', at: '2001-01-01T00:00:00Z' },
        'at',
        /before the restore window/,
      ],
      [{ database: 'billing', table: 'billing.invoices', at: '--mode=replace' }, 'at', /--at/],
      [{ database: null, table: 'billing.invoices' }, 'database', /is required/],
    ];
    for (const [fills, field, message] of cases) {
      const res = await submit(view, fills);
      expect((res.body as { response_action?: string }).response_action).toBe('errors');
      expect(errorsOf(res)[field]).toMatch(message);
    }
    expect(await stack.runtime.opsQueue.count()).toBe(jobsBefore);
  });

  it('a user without access is refused as the typed command refuses them, and the refusal is audited', async () => {
    const view = await shortcut(messageTsNow(), BOB);
    const before = ephemeralCount(BOB.id);
    const res = await submit(view, { database: 'billing', table: 'billing.invoices' }, BOB);
    expect(res.body).toBe('');
    expect(await answered(BOB.id, before)).toMatch(/^:no_entry:/);
    const denied = await stack.runtime.auditStore.query({ actor: BOB.id });
    expect(denied.map((r) => [r.type, r.command, r.target])).toEqual([
      ['denied', 'restore-table', 'billing'],
    ]);
  });

  it('refuses a forged private_metadata, another user’s form and a view the bot did not open', async () => {
    const view = await shortcut(messageTsNow());
    const fills = { database: 'billing', table: 'billing.invoices' };
    const metadata = JSON.parse(view.view.private_metadata as string) as {
      m: { channel: { id: string; name: string } };
    };
    metadata.m.channel = { id: 'C0ELSEWHERE', name: 'elsewhere' };
    const forged = { ...view, view: { ...view.view, private_metadata: JSON.stringify(metadata) } };
    const notOpened = { ...view, view: { ...view.view, private_metadata: '' } };
    const jobsBefore = await stack.runtime.opsQueue.count();
    for (const [v, user, reason] of [
      [forged, ALICE, /not signed by opsdeck \(mismatch\)/],
      [view, BOB, /opened for someone else/],
      [notOpened, ALICE, /carries no form of opsdeck/],
    ] as const) {
      const res = await submit(v, fills, user);
      const body = res.body as {
        response_action: string;
        view: { blocks: { text: { text: string } }[] };
      };
      expect(body.response_action).toBe('update');
      expect(body.view.blocks[0]!.text.text).toMatch(reason);
    }
    expect(await stack.runtime.opsQueue.count()).toBe(jobsBefore);
    expect(stack.slack.ephemerals('C0ELSEWHERE')).toEqual([]);
    // Each refusal is in the audit trail, with who sent it and why.
    const refusals = await waitFor(
      async () => {
        const rows = (await stack.runtime.auditStore.query({ command: 'restore-table' })).filter(
          (r) => String(r.detailJson).includes('"reason":"form-refused"'),
        );
        return rows.length === 3 ? rows : undefined;
      },
      10_000,
      'the refusals in the audit trail',
    );
    expect(refusals.map((r) => [r.type, r.actorId])).toEqual([
      ['denied', ALICE.id],
      ['denied', BOB.id],
      ['denied', ALICE.id],
    ]);
  });

  it('/restore-table typed alone opens the form; Preview shows the plan from the runbook in the modal', async () => {
    const view = await typedForm('/restore-table');
    expect(blockOf(view, 'at')!.element!.initial_value).toBeUndefined();
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000)
      .toISOString()
      .replace('.000', '');
    const res = await stack.deliver(
      viewButtonBody({
        user: ALICE,
        view,
        fills: { database: 'billing', table: 'billing.invoices', at, mode: 'merge' },
        actionId: 'opsdeck.form.preview',
        value: 'restore-table',
        blockId: 'preview-button',
      }),
    );
    expect(res.status).toBe(200);
    const updated = await waitFor(
      () => {
        const v = stack.slack.view(view.id)!;
        return blockOf(v, 'preview') ? v : undefined;
      },
      10_000,
      'the preview',
    );
    const preview = (blockOf(updated, 'preview') as unknown as { text: { text: string } }).text
      .text;
    expect(preview).toContain('*Preview* (nothing was run)');
    expect(preview).toContain('*Plan*: restore billing.invoices of billing');
    expect(preview).toMatch(
      /:warning: \*irreversible:\* INSERT into billing\.invoices the rows of the side table/,
    );
    // The values stay as filled.
    expect((blockOf(updated, 'mode')!.element!.initial_option as { value: string }).value).toBe(
      'merge',
    );
  });

  it('/deploy alone opens a form of the configured apps and environments; Preview is the dry run; submitting deploys', async () => {
    const view = await typedForm('/deploy');
    const options = (id: string) =>
      (blockOf(view, id)!.element!.options as { value: string }[]).map((o) => o.value);
    expect(options('app')).toEqual(['billing', 'shop']);
    expect(options('env')).toEqual(['prod', 'staging']);
    // Choosing an app narrows the environments to its own (the form redrawn by views.update).
    await stack.deliver(
      viewSelectBody({
        user: ALICE,
        view,
        fills: { app: 'billing' },
        field: 'app',
        value: 'billing',
      }),
    );
    const narrowed = await waitFor(
      () => {
        const v = stack.slack.view(view.id)!;
        const envs = (blockOf(v, 'env')!.element!.options as { value: string }[]).map(
          (o) => o.value,
        );
        return envs.length === 1 ? { v, envs } : undefined;
      },
      10_000,
      'the environments of billing',
    );
    expect(narrowed.envs).toEqual(['staging']);
    expect((blockOf(narrowed.v, 'app')!.element!.initial_option as { value: string }).value).toBe(
      'billing',
    );
    await stack.deliver(
      viewButtonBody({
        user: ALICE,
        view: narrowed.v, // as Slack sends it: the redrawn view, its new hash
        fills: { app: 'billing', env: 'staging', ref: 'v1.2.3' },
        actionId: 'opsdeck.form.preview',
        value: 'deploy',
        blockId: 'preview-button',
      }),
    );
    const preview = await waitFor(
      () => {
        const block = blockOf(stack.slack.view(view.id)!, 'preview') as unknown as
          { text: { text: string } } | undefined;
        return block?.text.text;
      },
      10_000,
      'the dry run',
    );
    expect(shown(preview)).toContain(':mag: Dry run of `/deploy billing staging v1.2.3`');
    const bad = await submit(view, { app: 'billing', env: 'staging', ref: '-x' });
    expect(errorsOf(bad).ref).toMatch(/cannot start with -/);
    const hidden = await submit(view, { app: 'billing', env: 'staging', ref: 'v1.2\u202e3' });
    expect(errorsOf(hidden).ref).toMatch(/^<ref>: contains U\+202E \(RIGHT-TO-LEFT OVERRIDE\)/);
    const env = await submit(view, { app: 'billing', env: 'prod', ref: 'v1.2.3' });
    expect(errorsOf(env).env).toMatch(/app billing has no environment "prod"/);
    const before = ephemeralCount(ALICE.id);
    const res = await submit(view, { app: 'billing', env: 'staging', ref: 'v1.2.3' });
    expect(res.body).toBe('');
    const job = jobIdIn(await answered(ALICE.id, before));
    const data = (await stack.runtime.jobs.get(job))!.data as unknown as JobEnvelope;
    expect(data.meta.command).toBe('/deploy billing staging v1.2.3');
  });

  it('/phz add alone opens a form of the configured zones; a bad record name goes on its field', async () => {
    const view = await typedForm('/phz', 'add');
    expect(
      (blockOf(view, 'zone')!.element!.options as { value: string }[]).map((o) => o.value),
    ).toEqual(['prod.example.internal']);
    const res = await submit(view, { name: 'bad_name!', value: '10.1.2.3' });
    expect(errorsOf(res).name).toMatch(/^<name>:/);
    const zone = await submit(view, { name: 'cache-a', value: '10.1.2.3', zone: 'other.internal' });
    expect(errorsOf(zone).zone).toMatch(/^--zone: other\.internal is not a zone/);
  });

  it('every view the bot opened, updated or answered with was within Block Kit’s modal limits', () => {
    const views = stack.slack.calls.filter((c: RecordedCall) => c.method.startsWith('views.'));
    expect(views.length).toBeGreaterThan(5);
    expect(stack.slack.blockKitRefusals()).toEqual([]);
  });
});
