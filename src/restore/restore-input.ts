import { z } from 'zod';
import { DATABASE_NAME_PATTERN } from '../config/databases';
import { IDENTIFIER_PATTERN } from '../mysql/sql-identifier';

/** What a /restore-table job carries: validated again by the worker (the queue is not trusted). */
export const RestoreTableInput = z.strictObject({
  database: z.string().regex(DATABASE_NAME_PATTERN),
  schema: z.string().regex(IDENTIFIER_PATTERN),
  table: z.string().regex(IDENTIFIER_PATTERN),
  /** UTC, whole seconds, inside the restore window when planned. */
  at: z.iso.datetime(),
  mode: z.enum(['side', 'merge', 'replace']),
  keepInstance: z.boolean(),
  /** `--fire-triggers`: a merge into a table with INSERT triggers runs them (else refused). */
  fireTriggers: z.boolean().default(false),
});

export type RestoreTableInput = z.infer<typeof RestoreTableInput>;
