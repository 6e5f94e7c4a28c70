import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { ErrorCode, OpsdeckError } from '../errors';
import { NEUTRAL_SQL_MODE, withSchemaSession } from './copy-session';
import { isAtLeast, type ServerFlavor } from './server-flavor';
import { checkIdentifier, qualifiedTable, quoteIdentifier } from './sql-identifier';
import { orderViews, viewReferences } from './view-order';

/**
 * The kinds of schema objects besides tables, in the order a copy creates them: routines first,
 * since CREATE VIEW checks that a stored function it calls exists; views in dependency order;
 * triggers once the rows are in (so loading never fires them); events last.
 */
export const OBJECT_KINDS = ['routines', 'views', 'triggers', 'events'] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

export type ObjectType = 'PROCEDURE' | 'FUNCTION' | 'VIEW' | 'TRIGGER' | 'EVENT';

const KIND_OF: Record<ObjectType, ObjectKind> = {
  PROCEDURE: 'routines',
  FUNCTION: 'routines',
  VIEW: 'views',
  TRIGGER: 'triggers',
  EVENT: 'events',
};

export interface SchemaObject {
  type: ObjectType;
  kind: ObjectKind;
  database: string;
  name: string;
  /** `database.name`. */
  key: string;
  /** The CREATE statement SHOW CREATE prints, DEFINER and SQL SECURITY as the source has them. */
  create: string;
  /** The sql_mode a routine, trigger or event was created under (it runs under it); null for views. */
  sqlMode: string | null;
  /** An event's time zone (its STARTS/ENDS are in it); null for the others. */
  timeZone: string | null;
  collationConnection: string;
  databaseCollation: string | null;
  /** Views: the listed views it selects from, as keys. */
  dependsOn: string[];
  /** Triggers: the table and the place in its order of activation (1 first). */
  table: string | null;
  actionOrder: number | null;
  /** Functions: neither DETERMINISTIC, NO SQL nor READS SQL DATA (a binlogging server may refuse it). */
  unsafeForBinlog: boolean;
  /** Events: information_schema's STATUS (ENABLED, DISABLED, SLAVESIDE_DISABLED...). */
  status: string | null;
}

type Row = RowDataPacket;

/**
 * Reads every view, routine, trigger and event of `databases` with its definition, through one
 * schema session: routines by name, views in dependency order, triggers per table in their
 * ACTION_ORDER, events by name. Names are checked as identifiers; an object whose definition is
 * not readable (no SHOW VIEW / SHOW_ROUTINE privilege) or a MariaDB package is refused.
 */
export async function readSchemaObjects(pool: Pool, databases: string[]): Promise<SchemaObject[]> {
  if (databases.length === 0) return [];
  return withSchemaSession(pool, 'source', async (conn) => {
    const select = async (sql: string) => (await conn.query<Row[]>(sql, [databases]))[0];
    const routines = await select(
      `SELECT ROUTINE_SCHEMA AS db, ROUTINE_NAME AS name, ROUTINE_TYPE AS type,
              IS_DETERMINISTIC AS isDeterministic, SQL_DATA_ACCESS AS dataAccess
         FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN (?)
        ORDER BY ROUTINE_SCHEMA, ROUTINE_TYPE, ROUTINE_NAME`,
    );
    const views = await select(
      `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, VIEW_DEFINITION AS definition
         FROM information_schema.VIEWS WHERE TABLE_SCHEMA IN (?) ORDER BY TABLE_SCHEMA, TABLE_NAME`,
    );
    const triggers = await select(
      `SELECT TRIGGER_SCHEMA AS db, TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tbl,
              ACTION_ORDER AS actionOrder
         FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA IN (?)
        ORDER BY TRIGGER_SCHEMA, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`,
    );
    const events = await select(
      `SELECT EVENT_SCHEMA AS db, EVENT_NAME AS name, STATUS AS status
         FROM information_schema.EVENTS WHERE EVENT_SCHEMA IN (?) ORDER BY EVENT_SCHEMA, EVENT_NAME`,
    );

    const objects: SchemaObject[] = [];
    for (const row of routines) {
      const type = String(row.type);
      if (type !== 'PROCEDURE' && type !== 'FUNCTION')
        throw new OpsdeckError(
          ErrorCode.MysqlCopyUnsupported,
          `${row.db}.${row.name} is a ${type}, which the copy cannot reproduce`,
        );
      const object = await showCreate(conn, type, row);
      object.unsafeForBinlog =
        type === 'FUNCTION' &&
        row.isDeterministic !== 'YES' &&
        ['CONTAINS SQL', 'MODIFIES SQL DATA'].includes(String(row.dataAccess));
      objects.push(object);
    }
    const viewKeys = new Set(views.map((row) => `${row.db}.${row.name}`));
    const viewObjects: SchemaObject[] = [];
    for (const row of views) {
      const object = await showCreate(conn, 'VIEW', row);
      object.dependsOn = viewReferences(object.key, String(row.definition ?? ''), viewKeys);
      viewObjects.push(object);
    }
    objects.push(...orderViews(viewObjects));
    for (const row of triggers) {
      const object = await showCreate(conn, 'TRIGGER', row);
      object.table = checkIdentifier(String(row.tbl));
      object.actionOrder = Number(row.actionOrder);
      objects.push(object);
    }
    for (const row of events) {
      const object = await showCreate(conn, 'EVENT', row);
      object.status = String(row.status);
      objects.push(object);
    }
    return objects;
  });
}

const CREATE_COLUMN: Record<ObjectType, string> = {
  PROCEDURE: 'Create Procedure',
  FUNCTION: 'Create Function',
  VIEW: 'Create View',
  TRIGGER: 'SQL Original Statement',
  EVENT: 'Create Event',
};

async function showCreate(conn: PoolConnection, type: ObjectType, row: Row): Promise<SchemaObject> {
  const database = checkIdentifier(String(row.db));
  const name = checkIdentifier(String(row.name));
  const [rows] = await conn.query<Row[]>(`SHOW CREATE ${type} ${qualifiedTable(database, name)}`);
  const shown = rows[0];
  const create = shown?.[CREATE_COLUMN[type]];
  if (typeof create !== 'string' || create === '')
    throw new OpsdeckError(
      ErrorCode.MysqlCopyUnsupported,
      `the definition of ${type.toLowerCase()} ${database}.${name} is not readable (the source account lacks the privilege to see it)`,
    );
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return {
    type,
    kind: KIND_OF[type],
    database,
    name,
    key: `${database}.${name}`,
    create,
    sqlMode: text(shown?.sql_mode),
    timeZone: text(shown?.time_zone),
    collationConnection: String(shown?.collation_connection),
    databaseCollation: text(shown?.['Database Collation']),
    dependsOn: [],
    table: null,
    actionOrder: null,
    unsafeForBinlog: false,
    status: null,
  };
}

const EVENT_STATUS =
  /( ON COMPLETION (?:NOT )?PRESERVE )(?:ENABLE|DISABLE ON SLAVE|DISABLE ON REPLICA|DISABLE)(?= (?:COMMENT '|DO ))/;

/**
 * An event's CREATE statement with its status replaced by DISABLE ON SLAVE. The destination is a
 * replica: the source runs the event, and what the event changes arrives by replication; run on
 * the replica too, it would apply every change twice (this is the state replication itself gives a
 * replicated CREATE EVENT). MySQL 8.2 renamed the clause DISABLE ON REPLICA and deprecated the old
 * spelling, MariaDB knows only the old one: the version decides.
 */
export function disabledOnReplica(
  createEvent: string,
  destination: ServerFlavor,
  event: string,
): string {
  // The statement is not quoted in the error: an event's body may hold literals that are secret.
  if (!EVENT_STATUS.test(createEvent))
    throw new OpsdeckError(
      ErrorCode.MysqlCopyUnsupported,
      `event ${event}: SHOW CREATE EVENT has no status after ON COMPLETION, the copy cannot disable it on the replica`,
    );
  const status = isAtLeast(destination, 'mysql', [8, 2, 0])
    ? 'DISABLE ON REPLICA'
    : 'DISABLE ON SLAVE';
  return createEvent.replace(EVENT_STATUS, `$1${status}`);
}

/** The statement with an event's status left out, for comparing source and replica. */
export function withoutEventStatus(createEvent: string): string {
  return createEvent.replace(EVENT_STATUS, '$1<status>');
}

/**
 * Creates objects (of one kind, in the order given) on the destination, each dropped first if it
 * exists, so that a resumed copy can run the kind again. Each statement runs with its database as
 * the default one (routine, trigger and event statements name their object without it), under
 * the sql_mode it was created with (a routine or trigger keeps it and runs under it) and its
 * collation_connection (string literals in its body take that collation). The client character
 * set stays utf8mb4 so the text arrives intact, and the object records utf8mb4 as its client
 * character set where the source may say another. An event's STARTS is in its own time zone.
 */
export async function createSchemaObjects(
  destination: Pool,
  objects: SchemaObject[],
  flavor: ServerFlavor,
): Promise<void> {
  if (objects.length === 0) return;
  await withSchemaSession(destination, 'destination', async (conn) => {
    for (const object of objects) {
      await conn.query(`USE ${quoteIdentifier(object.database)}`);
      await conn.query('SET SESSION sql_mode = ?, collation_connection = ?, time_zone = ?', [
        object.sqlMode ?? NEUTRAL_SQL_MODE,
        object.collationConnection,
        object.timeZone ?? '+00:00',
      ]);
      await conn.query(
        `DROP ${object.type} IF EXISTS ${qualifiedTable(object.database, object.name)}`,
      );
      await conn.query(
        object.type === 'EVENT'
          ? disabledOnReplica(object.create, flavor, object.key)
          : object.create,
      );
    }
  });
}
