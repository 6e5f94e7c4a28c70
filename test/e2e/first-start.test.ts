import mysql from 'mysql2/promise';
import { AUDIT_DOWN_MESSAGE } from '../../src/audit/audit-writer';
import { E2eStack, jobIdIn, waitFor } from '../helpers/e2e-stack';
import { LOCAL_MYSQL_TLS, MYSQL, uniqueName } from '../helpers/services';

/**
 * The first start against a MySQL server without opsdeck's database: the bot creates it when its
 * account may; else it says once, in its log and in /healthz, the statements to run, refuses
 * changing commands meanwhile, and takes up the work as soon as an administrator ran them.
 */
const PASSWORD = 'first-start-pw-2';
const text = (res: { body: unknown }) => (res.body as { text: string }).text;

let root: mysql.Connection;
const cleanup: string[] = [];

beforeAll(async () => {
  root = await mysql.createConnection(MYSQL);
});
afterAll(async () => {
  for (const statement of cleanup) await root.query(statement);
  await root.end();
});

/** A new account (grants run with it as `?@?`), and a database name nobody created. */
async function accountAndDatabase(grants: (database: string) => string[]) {
  const user = uniqueName('first').slice(0, 32);
  const database = uniqueName('first_db');
  cleanup.push(`DROP DATABASE IF EXISTS \`${database}\``, `DROP USER IF EXISTS '${user}'@'%'`);
  await root.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', PASSWORD]);
  for (const grant of grants(database)) await root.query(grant, [user, '%']);
  return { user, database };
}

async function startStack(user: string, database: string): Promise<E2eStack> {
  const stack = new E2eStack(
    {
      mysql: {
        ...MYSQL,
        user,
        passwordEnv: 'FIRST_START_DB_PASSWORD',
        database,
        tls: LOCAL_MYSQL_TLS,
      },
      // /healthz shows why a dependency failed only to a caller with the dashboard credential.
      http: {
        host: '127.0.0.1',
        port: 0,
        workerPort: 0,
        feedsWorkerPort: 0,
        dashboard: { userEnv: 'FIRST_START_DASH_USER', passwordEnv: 'FIRST_START_DASH_PW' },
      },
    },
    { captureBotLog: true, migrationRetryMs: 200 },
  );
  stack.env.FIRST_START_DB_PASSWORD = PASSWORD;
  stack.env.FIRST_START_DASH_USER = 'operator';
  stack.env.FIRST_START_DASH_PW = DASHBOARD_PASSWORD;
  return stack.start();
}

const DASHBOARD_PASSWORD = 'first-start-dashboard-pw';

/** /healthz as the operator reads it (with the dashboard credential), and as anyone else does. */
async function healthz(stack: E2eStack): Promise<{ status: number; audit: string; anon: string }> {
  const authorization = `Basic ${Buffer.from(`operator:${DASHBOARD_PASSWORD}`).toString('base64')}`;
  const res = await fetch(`${stack.botUrl}/healthz`, { headers: { authorization } });
  const body = (await res.json()) as { checks: Record<string, string> };
  const anon = (await (await fetch(`${stack.botUrl}/healthz`)).json()) as {
    checks: Record<string, string>;
  };
  return { status: res.status, audit: body.checks.audit ?? '', anon: anon.checks.audit ?? '' };
}

async function databaseExists(name: string): Promise<boolean> {
  const [rows] = await root.query<mysql.RowDataPacket[]>(
    'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
    [name],
  );
  return rows.length > 0;
}

describe('first start against a MySQL server without opsdeck database', () => {
  it('creates the database when the account may, and works at once', async () => {
    const { user, database } = await accountAndDatabase((db) => [
      `GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER ON \`${db}\`.* TO ?@?`,
    ]);
    expect(await databaseExists(database)).toBe(false);
    const stack = await startStack(user, database);
    try {
      expect(await databaseExists(database)).toBe(true);
      expect(await healthz(stack)).toEqual({ status: 200, audit: 'ok', anon: 'ok' });
      const jobId = jobIdIn(text(await stack.slash('ping --ticks 1 --tick-seconds 0')));
      const [rows] = await root.query<mysql.RowDataPacket[]>(
        `SELECT type FROM \`${database}\`.audit_events WHERE job_id = ?`,
        [jobId],
      );
      expect(rows.map((row) => row.type)).toContain('requested');
      expect(stack.botLog.join('')).not.toContain('audit migrations failed');
    } finally {
      await stack.stop();
    }
  });

  it('says once what to run when the account may not, refuses changes, and recovers once it was run', async () => {
    const { user, database } = await accountAndDatabase(() => []);
    const stack = await startStack(user, database);
    try {
      // Several tries (every 200 ms) go by; the reason is logged once.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const failures = stack.botLog.filter((line) => line.includes('audit migrations failed'));
      expect(failures).toHaveLength(1);
      const statements = [
        `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4;`,
        `GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER ON \`${database}\`.* TO '${user}'@'%';`,
      ];
      const logged = JSON.parse(failures[0]!) as { level: number; msg: string };
      expect(logged.level).toBe(50);
      expect(logged.msg).toContain(`As an administrator, run: ${statements.join(' ')}`);

      const health = await healthz(stack);
      expect(health.status).toBe(503);
      expect(health.audit).toContain(`As an administrator, run: ${statements.join(' ')}`);
      expect(health.audit).toContain('OPSDECK_MYSQL_OWN_DATABASE_MISSING');
      expect(health.anon).toBe('failed'); // names and grants are for the operator only

      expect(text(await stack.slash('ping --ticks 1'))).toBe(`:lock: ${AUDIT_DOWN_MESSAGE}`);
      expect(await databaseExists(database)).toBe(false);

      // The administrator runs what /healthz says, word for word.
      const said = health.audit.slice(health.audit.indexOf('run: ') + 'run: '.length);
      for (const statement of said.split(';').slice(0, 2)) await root.query(statement);

      await waitFor(async () => (await healthz(stack)).status === 200, 10_000, 'healthz ok');
      expect(stack.botLog.filter((line) => line.includes('audit migrations failed'))).toHaveLength(
        1,
      );
      expect(stack.botLog.some((line) => line.includes('audit migrations applied'))).toBe(true);
      expect(text(await stack.slash('ping --ticks 1'))).toMatch(/`ping-[0-9a-f]{10}`/);
    } finally {
      await stack.stop();
    }
  });
});
