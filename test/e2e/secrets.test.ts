import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { APPROVE_ACTION_ID } from '../../src/approvals/approval-messages';
import {
  ALICE,
  BOB,
  BOT_TOKEN,
  E2eStack,
  jobIdIn,
  SIGNING_SECRET,
  waitFor,
} from '../helpers/e2e-stack';
import { MYSQL, createTestDatabase, uniqueName, LOCAL_MYSQL_TLS } from '../helpers/services';

/**
 * Point 6 of the access/audit issue: the MySQL password, the AWS keys, the Slack bot token and
 * the signing secret never appear in any Slack message, log line, audit row, job payload in
 * Redis, or child process argument list, through every command (/ops help, ping with its
 * approval, jobs, audit, cancel), including a user pasting the secrets into a command.
 * The secrets are fresh random values, so nothing else on the machine can contain them.
 */

const DB_PASSWORD = `dbpw-${randomBytes(12).toString('hex')}`;
const AWS_KEY_ID = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
const AWS_SECRET = `${randomBytes(30).toString('base64').replace(/[+/=]/g, 'x')}`;
const SECRETS = {
  'MySQL password': DB_PASSWORD,
  'AWS access key id': AWS_KEY_ID,
  'AWS secret access key': AWS_SECRET,
  'Slack bot token': BOT_TOKEN,
  'Slack signing secret': SIGNING_SECRET,
};

describe('secrets never leak', () => {
  let stack: E2eStack;
  let database: { name: string; drop: () => Promise<void> };
  const account = uniqueName('sec').slice(0, 32);
  const acks: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('secrets');
    const root = await mysql.createConnection(MYSQL);
    await root.query('CREATE USER ?@? IDENTIFIED BY ?', [account, '%', DB_PASSWORD]);
    await root.query(`GRANT ALL ON \`${database.name}\`.* TO ?@?`, [account, '%']);
    await root.end();
    stack = new E2eStack(
      {
        mysql: {
          host: MYSQL.host,
          port: MYSQL.port,
          user: account,
          passwordEnv: 'E2E_MYSQL_PASSWORD',
          database: database.name,
          tls: LOCAL_MYSQL_TLS,
        },
        aws: {
          region: 'us-east-1',
          accessKeyIdEnv: 'E2E_AWS_ACCESS_KEY_ID',
          secretAccessKeyEnv: 'E2E_AWS_SECRET_ACCESS_KEY',
        },
        access: {
          groups: { operators: { users: [ALICE.id, BOB.id] } },
          rules: [
            {
              command: 'ops ping',
              groups: ['operators'],
              approval: { group: 'operators', distinct: true },
            },
            { command: 'ops *', groups: ['operators'] },
          ],
        },
        log: { level: 'debug' },
      },
      { captureBotLog: true },
    );
    Object.assign(stack.env, {
      E2E_MYSQL_PASSWORD: DB_PASSWORD,
      E2E_AWS_ACCESS_KEY_ID: AWS_KEY_ID,
      E2E_AWS_SECRET_ACCESS_KEY: AWS_SECRET,
    });
    await stack.start();
    await stack.startWorker();
  });

  afterAll(async () => {
    await stack.stop();
    await database.drop();
    const root = await mysql.createConnection(MYSQL);
    await root.query('DROP USER IF EXISTS ?@?', [account, '%']);
    await root.end();
  });

  const say = async (text: string, user = ALICE) => {
    const res = await stack.slash(text, { user });
    const body = (res.body as { text: string }).text;
    acks.push(body);
    return body;
  };

  it('runs every command, secrets pasted in too', async () => {
    await say('help');
    // Pasted secrets come back in the usage error, masked.
    const pasted = await say(`jobs ${DB_PASSWORD} ${AWS_SECRET} ${AWS_KEY_ID} ${BOT_TOKEN}`);
    expect(pasted).toContain('unexpected arguments: [REDACTED] [REDACTED] [REDACTED] [REDACTED]');
    await say(`help ${SIGNING_SECRET}`);

    const ack = await say('ping --ticks 2 --tick-seconds 0.1');
    const { approvalId, jobId, message } = await stack.pendingApproval(ack);
    acks.push(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, BOB));
    await waitFor(
      () => stack.thread(jobId).root?.text.includes('succeeded'),
      20_000,
      'the job to succeed',
    );
    await say('jobs');
    await waitFor(
      async () =>
        (await stack.runtime.auditStore.jobEvents(jobId)).some((r) => r.type === 'succeeded'),
      10_000,
      'the audit trail of the job',
    );
    expect(await say(`audit ${jobId}`)).toContain('*succeeded*');
    const second = jobIdIn(await say('ping --ticks 1', BOB)); // waits for approval; cancel a job anyway
    expect(await say(`cancel ${jobId}`)).toContain('already finished');
    expect(second).toMatch(/^ping-/);
  });

  function expectClean(where: string, haystack: string): void {
    expect(haystack.length).toBeGreaterThan(0);
    for (const [name, secret] of Object.entries(SECRETS)) {
      if (haystack.includes(secret)) throw new Error(`the ${name} appears in ${where}`);
    }
  }

  it('in no Slack message or answer', () => {
    // Every argument of every call, but the credential the call itself carries.
    const calls = stack.slack.calls.map(({ method, args }) => [
      method,
      Object.entries(args).filter(([key]) => key !== 'token'),
    ]);
    expectClean('a Slack Web API call', JSON.stringify(calls));
    expectClean('a posted message', JSON.stringify(stack.slack.messages()));
    expectClean('an ack', JSON.stringify(acks));
  });

  it('in no log line of the bot or the worker', () => {
    expect(stack.botLog.join('')).toContain('approval requested');
    expectClean('the bot log', stack.botLog.join(''));
    expect(stack.workerOutput).toContain('"msg":"worker ready"');
    expectClean('the worker output', stack.workerOutput);
  });

  it('in no audit row', async () => {
    const rows = await stack.runtime.auditStore.query({});
    expect(rows.length).toBeGreaterThan(10);
    expectClean('the audit trail', JSON.stringify(rows));
  });

  it('in nothing stored in Redis (jobs, approvals, outbox, spool)', async () => {
    const dump: unknown[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await stack.redis.scan(
        cursor,
        'MATCH',
        `${stack.prefix}:*`,
        'COUNT',
        500,
      );
      cursor = next;
      for (const key of keys) {
        const type = await stack.redis.type(key);
        const value =
          type === 'string'
            ? await stack.redis.get(key)
            : type === 'hash'
              ? await stack.redis.hgetall(key)
              : type === 'list'
                ? await stack.redis.lrange(key, 0, -1)
                : type === 'set'
                  ? await stack.redis.smembers(key)
                  : type === 'zset'
                    ? await stack.redis.zrange(key, 0, -1, 'WITHSCORES')
                    : type === 'stream'
                      ? await stack.redis.xrange(key, '-', '+')
                      : null;
        dump.push([key, type, value]);
      }
    } while (cursor !== '0');
    const text = JSON.stringify(dump);
    expect(text).toContain('"ping"'); // job payloads are there
    expectClean('Redis', text);
  });

  it('in no process argument list (the worker processes and every other process)', () => {
    const workers = stack.workerProcesses.map((w) => w.pid);
    expect(workers.length).toBeGreaterThan(0);
    let seen = 0;
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      let argv: string;
      try {
        argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      if (workers.includes(Number(pid))) {
        expect(argv).toContain('src/app/worker.ts');
        seen += 1;
      }
      expectClean(`the arguments of process ${pid}`, argv.replace(/\0/g, ' ') || ' ');
    }
    expect(seen).toBe(workers.length);
  });
});
