import { ErrorCode, OpsdeckError } from '../errors';
import type { CopyValue } from './copy-session';
import { rangesFromBoundaries, type KeyRange } from './key-ranges';
import { OBJECT_KINDS, type ObjectKind } from './schema-objects';

/** A key value in JSON: text as is, bytes as hex. */
export type StoredKeyValue = string | null | { hex: string };

export interface TableCheckpoint {
  /**
   * `copying`: some ranges are committed; `loaded`: every row is in, the deferred indexes are not
   * built yet; `indexed`: the table is done (its foreign keys come with all the others).
   */
  state: 'copying' | 'loaded' | 'indexed';
  /** Rows committed in the destination table by the ranges done. */
  rows: number;
  /**
   * While copying: the boundaries the table was cut at, so a resumed run cuts it alike whatever
   * the source's statistics say by then, and the indexes of the ranges done.
   */
  boundaries?: StoredKeyValue[][];
  doneRanges?: number[];
}

/**
 * Where a database copy stands, after every range, table and object kind. Small (only tables in
 * progress carry their ranges) and plain JSON.
 */
export interface DatabasesCheckpoint {
  version: 1;
  databases: string[];
  /** The destination databases were dropped and created: a resumed run never drops them again. */
  prepared: boolean;
  /** Every base table exists on the destination (without deferred indexes and foreign keys). */
  tablesCreated: boolean;
  /** By `database.table`; a table not listed has no committed range yet. */
  tables: Record<string, TableCheckpoint>;
  /** Every table's foreign keys were added. */
  foreignKeys: boolean;
  /** The object kinds created, in OBJECT_KINDS order. */
  objects: ObjectKind[];
}

export function newCheckpoint(databases: string[]): DatabasesCheckpoint {
  return {
    version: 1,
    databases: [...databases],
    prepared: false,
    tablesCreated: false,
    tables: {},
    foreignKeys: false,
    objects: [],
  };
}

/**
 * Refuses a checkpoint that is not of a copy of these databases from this source: another
 * version, other databases, tables the source does not have, or malformed ranges.
 */
export function checkResume(
  checkpoint: DatabasesCheckpoint,
  databases: string[],
  sourceTables: ReadonlySet<string>,
): DatabasesCheckpoint {
  const refuse = (why: string) => {
    throw new OpsdeckError(
      ErrorCode.MysqlResumeMismatch,
      `cannot resume from this checkpoint: ${why}`,
    );
  };
  if (checkpoint?.version !== 1) refuse(`unknown version ${JSON.stringify(checkpoint?.version)}`);
  const same = (a: string[], b: string[]) =>
    JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
  if (!Array.isArray(checkpoint.databases) || !same(checkpoint.databases, databases))
    refuse(`it copies ${JSON.stringify(checkpoint.databases)}, not ${JSON.stringify(databases)}`);
  for (const [key, table] of Object.entries(checkpoint.tables ?? {})) {
    if (!sourceTables.has(key)) refuse(`table ${key} is not on the source`);
    if (
      table.state === 'copying' &&
      (!Array.isArray(table.boundaries) || !Array.isArray(table.doneRanges))
    )
      refuse(`table ${key} is in progress without its ranges`);
  }
  if (!(checkpoint.objects ?? []).every((kind) => OBJECT_KINDS.includes(kind)))
    refuse(`unknown object kinds ${JSON.stringify(checkpoint.objects)}`);
  return structuredClone(checkpoint);
}

function storeValue(value: CopyValue): StoredKeyValue {
  return Buffer.isBuffer(value) ? { hex: value.toString('hex') } : value;
}

function loadValue(value: StoredKeyValue): CopyValue {
  return value !== null && typeof value === 'object' ? Buffer.from(value.hex, 'hex') : value;
}

/** A plan's boundaries (each range's upper bound but the last's), for the checkpoint. */
export function storeBoundaries(ranges: KeyRange[]): StoredKeyValue[][] {
  return ranges.slice(0, -1).map((range) => (range.upTo ?? []).map(storeValue));
}

/** The plan back from storeBoundaries(): the same ranges with the same indexes. */
export function loadRanges(boundaries: StoredKeyValue[][]): KeyRange[] {
  return rangesFromBoundaries(boundaries.map((values) => values.map(loadValue)));
}
