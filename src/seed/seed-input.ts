import { z } from 'zod';
import { DATABASE_NAME_PATTERN } from '../config/databases';
import { IDENTIFIER_PATTERN } from '../mysql/sql-identifier';

/** What a /seed-slave job carries: validated again by the worker (the queue is not trusted). */
export const SeedSlaveInput = z.strictObject({
  /** The configured database (`databases`) the replica replicates from. */
  source: z.string().regex(DATABASE_NAME_PATTERN),
  /** The configured replica (`replicas`). */
  replica: z.string().regex(DATABASE_NAME_PATTERN),
  /** MySQL databases (schemas) to seed, as planned: the given list, or every user database. */
  databases: z.array(z.string().regex(IDENTIFIER_PATTERN)).min(1).max(500),
  /** Binlog retention the source must have, in hours. */
  retentionHours: z.number().int().min(1).max(168),
});

export type SeedSlaveInput = z.infer<typeof SeedSlaveInput>;
