import { EmergencyReviews } from '../../../src/approvals/emergency-reviews';
import { createServer, type Server } from 'node:net';
import type { WebClient } from '@slack/web-api';
import { Queue } from 'bullmq';
import type IORedis from 'ioredis';
import pino from 'pino';
import { z } from 'zod';
import { ApprovalStore } from '../../../src/approvals/approval-store';
import { AuditStore } from '../../../src/audit/audit-store';
import { AUDIT_DOWN_MESSAGE, AuditWriter } from '../../../src/audit/audit-writer';
import { DatabaseAccess } from '../../../src/mysql/database-access';
import { createAwsClients } from '../../../src/aws/clients';
import { CommandRegistry } from '../../../src/command/command-registry';
import { defineCommand, reply, subcommand } from '../../../src/command/define-command';
import { OpsdeckConfig } from '../../../src/config/schema';
import type { OutboxMessage } from '../../../src/notify/outbox-message';
import { CancelRequests } from '../../../src/queue/cancellation';
import type { JobEnvelope } from '../../../src/runbook/job-envelope';
import { JobStore } from '../../../src/queue/job-store';
import { QueueName } from '../../../src/queue/queue-names';
import { decideApproval } from '../../../src/approvals/approval-flow';
import { UserGroupMembership } from '../../../src/slack/user-group-membership';
import {
  handleSlashCommand,
  type FrontDoorDeps,
  type SlashCommandPayload,
} from '../../../src/front-door/handle-slash-command';
import {
  MYSQL,
  connectRedis,
  createTestDatabase,
  deleteRedisPrefix,
  testSigner,
  uniqueName,
  LOCAL_MYSQL_TLS,
} from '../../helpers/services';
import { md } from '../../../src/slack/mrkdwn';
import { runbookPlan } from '../../../src/command/runbook-plan';
import { defineRunbook, step } from '../../../src/runbook/define-runbook';

/**
 * The front door with a command registry made here: a command with targets (`/db restore
 * <database>`), so target-level access rules, approvals with irreversible steps, an action that
 * an approval rule cannot hold, and the ack bounded while the audit store hangs.
 */

const DBA = 'U0DBA';
const PLATFORM = 'U0PLAT';
const killed: string[] = [];

/** The runbook `/db restore` plans (never run here: the front door only enqueues it). */
const restoreDatabase = defineRunbook<{ database: string }, object, undefined>({
  name: 'restore-table',
  input: z.strictObject({ database: z.string() }),
  steps: [
    step('restore', async () => undefined, { describe: () => md`restore a copy` }),
    step('swap', async () => undefined, {
      describe: ({ database }) => md`swap it into ${database}`,
      irreversible: true,
    }),
  ],
});

const db = defineCommand({
  name: 'db',
  summary: 'databases',
  subcommands: [
    subcommand({
      name: 'restore',
      usage: '/db restore <database>',
      summary: 'restore a database',
      positionals: ['database'],
      schema: z.strictObject({ database: z.string() }),
      target: (input) => input.database,
      plan: (input) =>
        runbookPlan(restoreDatabase, { database: input.database }, undefined, {
          summary: md`restore ${input.database}`,
        }),
    }),
    subcommand({
      name: 'kill',
      usage: '/db kill <database>',
      summary: 'kill the connections of a database',
      positionals: ['database'],
      schema: z.strictObject({ database: z.string() }),
      target: (input) => input.database,
      plan: (input) => ({
        kind: 'action',
        summary: `kill ${input.database}`,
        run: () => {
          killed.push(input.database);
          return Promise.resolve(reply(md`killed`));
        },
      }),
    }),
  ],
});

const ACCESS = {
  groups: { dba: { users: [DBA] }, platform: { users: [PLATFORM] } },
  rules: [
    { command: 'db restore', targets: ['billing', 'prod/*'], groups: ['dba'] },
    {
      command: 'db restore',
      targets: ['payments'],
      groups: ['dba'],
      approval: { group: 'platform', distinct: true },
    },
    { command: 'db kill', targets: ['*'], groups: ['dba'], approval: { group: 'platform' } },
  ],
};

const prefix = uniqueName('frontdoor');
const logger = pino({ level: 'silent' });
let redis: IORedis;
let database: { name: string; drop: () => Promise<void> };
let queue: Queue<JobEnvelope, unknown, string>;
let deps: FrontDoorDeps;
const posted: { threadKey: string; message: OutboxMessage }[] = [];
const closers: (() => Promise<unknown>)[] = [];

function depsWith(store: AuditStore, keyPrefix: string): FrontDoorDeps {
  const config = OpsdeckConfig.parse({
    access: ACCESS,
    mysql: { port: MYSQL.port, database: database.name, tls: LOCAL_MYSQL_TLS },
    slack: { alertChannel: 'C0ALERTS' },
  });
  const audit = new AuditWriter(store, redis, {
    prefix: keyPrefix,
    retryBaseDelayMs: 50,
    retryMaxDelayMs: 200,
    logger,
    signer: testSigner(),
  });
  closers.push(() => audit.stop());
  return {
    commands: new CommandRegistry([db]),
    jobs: new JobStore(
      queue,
      new CancelRequests(redis, prefix, testSigner()),
      config.queue.retention,
      testSigner(),
    ),
    config,
    logger,
    approvals: new ApprovalStore(redis, keyPrefix, testSigner()),
    reviews: new EmergencyReviews(redis, keyPrefix, testSigner()),
    audit,
    auditStore: store,
    // The policy names no user groups: Slack is never asked.
    userGroups: new UserGroupMembership({} as WebClient, redis, keyPrefix, {
      cacheSeconds: 60,
      logger,
    }),
    aws: createAwsClients(config.aws),
    databases: new DatabaseAccess(config.databases, {}),
    // No feeds are configured here, and no command of this test reads them.
    feeds: { list: [], read: () => Promise.reject(new Error('no feeds in this test')) },
    replicas: {
      check: () => Promise.reject(new Error('no replicas in this test')),
      last: () => Promise.reject(new Error('no replicas in this test')),
      mute: () => Promise.reject(new Error('no replicas in this test')),
    },
    outbox: {
      enqueue: (threadKey, message) => {
        posted.push({ threadKey, message });
        return Promise.resolve();
      },
    },
  };
}

let triggers = 0;
function slash(text: string, userId = DBA): SlashCommandPayload {
  triggers += 1;
  return {
    command: '/db',
    text,
    user_id: userId,
    user_name: userId.toLowerCase(),
    channel_id: 'C0OPS',
    channel_name: 'ops',
    team_id: 'T0',
    trigger_id: `trigger-${triggers}`,
  };
}

beforeAll(async () => {
  redis = connectRedis();
  database = await createTestDatabase('frontdoor');
  queue = new Queue(QueueName.Ops, { connection: redis, prefix });
  const store = AuditStore.fromConfig(
    OpsdeckConfig.parse({
      mysql: { port: MYSQL.port, database: database.name, tls: LOCAL_MYSQL_TLS },
    }),
    {},
  );
  await store.migrate();
  closers.push(() => store.close());
  deps = depsWith(store, prefix);
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await queue.close();
  await database.drop();
  await deleteRedisPrefix(redis, prefix);
  await redis.quit();
});

describe('target-level access rules', () => {
  it.each(['billing', 'prod/eu-billing'])(
    'queues a restore of %s, carrying the target',
    async (target) => {
      const answer = await handleSlashCommand(deps, slash(`restore ${target}`));
      expect(answer.text).toContain(':inbox_tray: Queued `restore-table-');
      const jobId = /`(restore-table-[0-9a-f]{10})`/.exec(answer.text)![1]!;
      const job = await deps.jobs.get(jobId);
      expect(job!.data.meta).toMatchObject({
        target,
        commandName: 'db restore',
        command: `/db restore ${target}`,
      });
      const [requested] = await deps.auditStore.jobEvents(jobId);
      expect(requested).toMatchObject({
        type: 'requested',
        target,
        command: 'db restore',
        actorId: DBA,
      });
    },
  );

  it('refuses a target no rule covers, and audits the denial with the target', async () => {
    const answer = await handleSlashCommand(deps, slash('restore staging'));
    expect(answer.text).toBe(
      ':no_entry: Refused: no access rule covers `db restore` on `staging`. No one is named to ask: the access policy has no admins group.',
    );
    const rows = await deps.auditStore.query({ command: 'db restore' });
    expect(rows.at(-1)).toMatchObject({ type: 'denied', target: 'staging', jobId: null });
  });

  it('refuses a covered target to someone outside the group', async () => {
    const answer = await handleSlashCommand(deps, slash('restore billing', PLATFORM));
    expect(answer.text).toContain(
      '`db restore` on `billing` is allowed to group dba; you are in none of them',
    );
  });

  it('posts the plan of a target that needs approval, irreversible step marked, and queues nothing', async () => {
    const before = await queue.count();
    const answer = await handleSlashCommand(deps, slash('restore payments'));
    expect(answer.text).toContain('needs approval by someone other than you in *platform*');
    const approvalId = /`(apv_[0-9a-f]{24})`/.exec(answer.text)![1]!;
    const message = posted.find((p) => p.threadKey === approvalId)!.message;
    expect(message).toMatchObject({ kind: 'root', channel: 'C0ALERTS' });
    expect(JSON.stringify(message.blocks)).toContain(
      ':warning: *irreversible:* swap it into payments',
    );
    expect(await queue.count()).toBe(before);
    const record = await deps.approvals.get(approvalId);
    expect(record!.request).toMatchObject({
      command: 'db restore',
      target: 'payments',
      userId: DBA,
    });
  });

  it('finds the approval of a request delivered again (same trigger) and posts nothing new', async () => {
    const request = slash('restore payments');
    const first = await handleSlashCommand(deps, request);
    const approvalId = /`(apv_[0-9a-f]{24})`/.exec(first.text)![1]!;
    const postedBefore = posted.length;
    const again = await handleSlashCommand(deps, { ...request });
    expect(again.text).toBe(
      `:information_source: This request was already received: approval \`${approvalId}\` (pending, posted in C0ALERTS); nothing new was posted.`,
    );
    expect(posted.length).toBe(postedBefore);
    // Another request (another trigger) is another approval.
    const other = await handleSlashCommand(deps, slash('restore payments'));
    expect(other.text).not.toContain(approvalId);
  });

  it('refuses an action that an approval rule covers: it could not wait, so it must not run', async () => {
    const answer = await handleSlashCommand(deps, slash('kill billing'));
    expect(answer.text).toContain('`db kill` acts at once and cannot wait for one');
    expect(killed).toEqual([]);
  });
});

describe('with an audit store that accepts connections and never answers', () => {
  let silent: Server;
  let down: FrontDoorDeps;

  beforeAll(async () => {
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const store = AuditStore.fromConfig(
      OpsdeckConfig.parse({
        mysql: { port, database: database.name, tls: LOCAL_MYSQL_TLS },
        audit: { connectTimeoutMs: 1000, queryTimeoutMs: 1000 },
      }),
      {},
    );
    closers.push(
      () => store.close(),
      () => new Promise((resolve) => silent.close(resolve)),
    );
    down = depsWith(store, `${prefix}:down`);
  });

  it('still answers within the ack budget, refusing the change and queueing nothing', async () => {
    const before = await queue.count();
    const started = Date.now();
    const answer = await handleSlashCommand(down, slash('restore billing'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(answer.text).toBe(`:lock: ${AUDIT_DOWN_MESSAGE}`);
    expect(await queue.count()).toBe(before);
  });

  it('decides no approval while the trail cannot be written', async () => {
    const asked = await handleSlashCommand(deps, slash('restore payments'));
    const approvalId = /`(apv_[0-9a-f]{24})`/.exec(asked.text)![1]!;
    const answer = await decideApproval(down, {
      approvalId,
      decision: 'approve',
      user: { id: PLATFORM, name: 'plat' },
    });
    expect(answer.text).toMatch(/^:lock: Nothing was decided: The audit trail cannot be written/);
    expect((await deps.approvals.get(approvalId))!.status).toBe('pending');
  });
});
