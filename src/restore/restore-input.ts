import { z } from 'zod';
import { IDENTIFIER_PATTERN } from '../mysql/sql-identifier';

/** What a /restore-table job carries: validated again by the worker (the queue is not trusted). */
export const RestoreTableInput = z.strictObject({
  database: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/),
  schema: z.string().regex(IDENTIFIER_PATTERN),
  table: z.string().regex(IDENTIFIER_PATTERN),
  /** UTC, whole seconds, inside the restore window when planned. */
  at: z.iso.datetime(),
  mode: z.enum(['side', 'merge', 'replace']),
  keepInstance: z.boolean(),
});

export type RestoreTableInput = z.infer<typeof RestoreTableInput>;
