import mysql from 'mysql2/promise';
import { AuditStore } from '../../../src/audit/audit-store';
import { OpsdeckConfig } from '../../../src/config/schema';
import { DeployHistory } from '../../../src/deploy/deploy-history';
import { ErrorCode } from '../../../src/errors';
import {
  ensureOwnDatabase,
  ownDatabaseStatements,
  OWN_DATABASE_PRIVILEGES,
} from '../../../src/mysql/own-database';
import { LOCAL_MYSQL_TLS, MYSQL, uniqueName } from '../../helpers/services';

/**
 * opsdeck's own database at the first start: created when the account may, else refused with the
 * statements an administrator runs, and those statements are exactly enough for everything
 * opsdeck does in it (audit trail and deploy history, migrations included).
 */
let root: mysql.Connection;
const password = 'first-start-pw-1';
const users: string[] = [];
const databases: string[] = [];

/** A fresh account with only `grants` (each run with the account's name for `?`). */
async function account(grants: (user: string) => string[]): Promise<string> {
  const user = uniqueName('own').slice(0, 32);
  users.push(user);
  await root.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
  for (const grant of grants(user)) await root.query(grant, [user, '%']);
  return user;
}

function missingDatabase(): string {
  const name = uniqueName('own_db');
  databases.push(name);
  return name;
}

const connect = (user: string) => mysql.createConnection({ ...MYSQL, user, password });

beforeAll(async () => {
  root = await mysql.createConnection(MYSQL);
});

afterAll(async () => {
  for (const name of databases) await root.query(`DROP DATABASE IF EXISTS \`${name}\``);
  for (const user of users) await root.query('DROP USER IF EXISTS ?@?', [user, '%']);
  await root.end();
});

it('creates the database when the account may, once', async () => {
  const database = missingDatabase();
  const user = await account(() => [
    `GRANT ${OWN_DATABASE_PRIVILEGES.join(', ')} ON \`${database}\`.* TO ?@?`,
  ]);
  const conn = await connect(user);
  try {
    expect(await ensureOwnDatabase(conn, database)).toBe(true);
    expect(await ensureOwnDatabase(conn, database)).toBe(false);
  } finally {
    await conn.end();
  }
  const [rows] = await root.query<mysql.RowDataPacket[]>(
    'SELECT DEFAULT_CHARACTER_SET_NAME AS cs FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
    [database],
  );
  expect(rows[0]?.cs).toBe('utf8mb4');
});

it('refuses with the account and the exact statements when it may not, and those statements are enough', async () => {
  const database = missingDatabase();
  const user = await account(() => []);
  const config = OpsdeckConfig.parse({
    mysql: { ...MYSQL, user, passwordEnv: 'OWN_DB_PASSWORD', database, tls: LOCAL_MYSQL_TLS },
  });
  const refused = AuditStore.fromConfig(config, { OWN_DB_PASSWORD: password });
  const error = await refused.migrate().then(
    () => undefined,
    (e: Error & { cause?: { code?: string } }) => e,
  );
  await refused.close();
  expect(error?.cause).toMatchObject({ code: ErrorCode.MysqlOwnDatabaseMissing });
  const statements = ownDatabaseStatements(database, `${user}@%`);
  expect(statements).toEqual([
    `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4;`,
    `GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER ON \`${database}\`.* TO '${user}'@'%';`,
  ]);
  expect(error?.message).toContain(
    `database ${database} does not exist (or ${user}@% has no privilege on it), and ${user}@% may not create it. As an administrator, run: ${statements.join(' ')}`,
  );
  expect(await databaseExists(database)).toBe(false);

  // The administrator runs exactly what was said; the account can then do all opsdeck does there.
  for (const statement of statements) await root.query(statement);
  const audit = AuditStore.fromConfig(config, { OWN_DB_PASSWORD: password });
  const pool = mysql.createPool({ ...MYSQL, user, password, connectionLimit: 2 });
  try {
    expect(await audit.migrate()).toEqual([1]);
    await audit.append({ type: 'requested', actor: { id: 'U1', name: 'alice' } });
    const history = new DeployHistory(pool, { database, table: 'deploy_history' });
    expect(await history.migrate()).toEqual([1, 2, 3, 4, 5]);
    const actor = { id: 'U1', name: 'alice' };
    await history.recordStart({
      jobId: 'deploy-0123456789',
      kind: 'deploy',
      app: 'shop',
      env: 'prod',
      ref: 'v1',
      actor,
      startedAt: 1,
      hostsTotal: 1,
    });
    await history.recordHostOutput('deploy-0123456789', {
      host: 'web1',
      ok: true,
      exitCode: 0,
      signal: null,
      startedAt: 1,
      durationMs: 1,
      outputBytes: 2,
      outputTruncated: false,
      output: Buffer.from('ok'),
    });
    expect(
      await history.recordFinish('deploy-0123456789', {
        finishedAt: 2,
        outcome: 'succeeded',
        hostsOk: ['web1'],
        hostsFailed: [],
        hostsNotRun: [],
      }),
    ).toBe('recorded');
    expect(await history.pruneHostOutput(10)).toBe(1);
  } finally {
    await audit.close();
    await pool.end();
  }
});

it('tells a dedicated audit account (INSERT and SELECT only) to have an administrator create the tables', async () => {
  const database = missingDatabase();
  const user = await account(() => []);
  const config = OpsdeckConfig.parse({
    mysql: { ...MYSQL, database, tls: LOCAL_MYSQL_TLS },
    audit: { user, passwordEnv: 'AUDIT_PW' },
  });
  const audit = AuditStore.fromConfig(config, { AUDIT_PW: password });
  try {
    await expect(audit.migrate()).rejects.toThrow(
      `As an administrator, run: CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4; then apply the migrations with an account that may create tables (opsdeck audit migrate) and run: GRANT SELECT, INSERT ON \`${database}\`.\`audit_events\` TO '${user}'@'%'; GRANT SELECT ON \`${database}\`.\`schema_migrations\` TO '${user}'@'%';`,
    );
  } finally {
    await audit.close();
  }
});

async function databaseExists(name: string): Promise<boolean> {
  const [rows] = await root.query<mysql.RowDataPacket[]>(
    'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
    [name],
  );
  return rows.length > 0;
}
