import mysql from 'mysql2/promise';
import { AuditStore } from '../../../src/audit/audit-store';
import { verifyChain } from '../../../src/audit/verify-chain';
import { OpsdeckConfig } from '../../../src/config/schema';
import { createTestDatabase, MYSQL, uniqueName, LOCAL_MYSQL_TLS } from '../../helpers/services';

/**
 * The bot's audit account needs only INSERT and SELECT on the audit table (and SELECT on
 * schema_migrations): the GRANTs documented in src/audit/migrations.ts, exercised for real.
 */
let db: { name: string; drop: () => Promise<void> };
let root: mysql.Connection;
const user = uniqueName('audit_bot').slice(0, 32);
const password = 'only-insert-select-1';

function config(account: { user: string; passwordEnv?: string }) {
  return OpsdeckConfig.parse({
    mysql: { ...MYSQL, database: db.name, tls: LOCAL_MYSQL_TLS },
    audit: account.user === MYSQL.user ? {} : account,
  });
}

beforeAll(async () => {
  db = await createTestDatabase('audit_grants');
  root = await mysql.createConnection(MYSQL);
  const admin = AuditStore.fromConfig(config({ user: MYSQL.user }), {});
  await admin.migrate();
  await admin.append({ type: 'requested', actor: { id: 'U1', name: 'alice' } });
  await admin.close();
  await root.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
  await root.query(`GRANT SELECT, INSERT ON \`${db.name}\`.\`audit_events\` TO ?@?`, [user, '%']);
  await root.query(`GRANT SELECT ON \`${db.name}\`.\`schema_migrations\` TO ?@?`, [user, '%']);
});

afterAll(async () => {
  await root.query('DROP USER IF EXISTS ?@?', [user, '%']);
  await root.end();
  await db.drop();
});

it('starts, appends and verifies with INSERT and SELECT only, and cannot rewrite history', async () => {
  const store = AuditStore.fromConfig(config({ user, passwordEnv: 'AUDIT_DB_PASSWORD' }), {
    AUDIT_DB_PASSWORD: password,
  });
  try {
    expect(await store.migrate()).toEqual([]);
    await store.append({ type: 'started', actor: { id: 'U1', name: 'alice' }, jobId: 'j1' });
    expect(await verifyChain(store.rowsInOrder())).toMatchObject({ ok: true, rows: 2 });
  } finally {
    await store.close();
  }
  const bot = await mysql.createConnection({ ...MYSQL, user, password, database: db.name });
  try {
    await expect(
      bot.query('UPDATE audit_events SET actor_name = ?', ['mallory']),
    ).rejects.toMatchObject({
      code: 'ER_TABLEACCESS_DENIED_ERROR',
    });
    await expect(bot.query('DELETE FROM audit_events')).rejects.toMatchObject({
      code: 'ER_TABLEACCESS_DENIED_ERROR',
    });
  } finally {
    await bot.end();
  }
});
