import { z } from 'zod';
import { DATABASE_NAME_PATTERN } from './databases';
import { envName, temporaryInstanceFields } from './config-fields';

/**
 * The `replicas` section: MySQL servers outside RDS that replicate from a configured database
 * (`databases`), by the name users type (`/seed-slave billing onprem-db1`). The name is also the
 * access target of `/seed-slave`: rules say who may rebuild which replica. `user` is an admin
 * account on the replica (it drops and loads the seeded databases and runs CHANGE MASTER);
 * `replicationUser` is the source's account the replica replicates with (REPLICATION SLAVE).
 * Passwords come from the environment variables named here.
 *
 *   replicas:
 *     onprem-db1:
 *       host: db1.dc1.example.com
 *       port: 3306
 *       user: opsdeck
 *       passwordEnv: ONPREM_DB1_PASSWORD
 *       source: billing                   # the configured database it replicates from
 *       replicationUser: repl
 *       replicationPasswordEnv: BILLING_REPL_PASSWORD
 */

/** A host name or an IPv4 address, as a replica's `host`. */
const HOST_PATTERN =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** MySQL account names: up to 32 characters, no quotes or spaces (they go into CHANGE MASTER). */
const ACCOUNT_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;

const databaseName = z
  .string()
  .regex(
    DATABASE_NAME_PATTERN,
    'must be a database name for commands: a-z, 0-9 and -, starting with a letter',
  );

export const ReplicaTarget = z.strictObject({
  host: z.string().regex(HOST_PATTERN, 'must be a host name or an IPv4 address'),
  port: z.number().int().min(1).max(65535).default(3306),
  user: z
    .string()
    .regex(ACCOUNT_PATTERN, 'must be a MySQL account name (1-32 of A-Z a-z 0-9 _ . -)'),
  passwordEnv: envName,
  /** The configured database (`databases`) this replica replicates from. */
  source: databaseName,
  replicationUser: z
    .string()
    .regex(ACCOUNT_PATTERN, 'must be a MySQL account name (1-32 of A-Z a-z 0-9 _ . -)'),
  replicationPasswordEnv: envName,
});

export type ReplicaTarget = z.infer<typeof ReplicaTarget>;

export const ReplicasConfig = z.record(databaseName, ReplicaTarget).default({});

export type ReplicasConfig = z.infer<typeof ReplicasConfig>;

/**
 * The `seedSlave` section: how `/seed-slave` creates and waits for its temporary read replica,
 * copies, and how long it watches the replica catch up. The workers reach the temporary replica
 * from where `restoreTable.workerCidr` / `workerSecurityGroupId` says they connect from.
 *
 *   seedSlave:
 *     retentionHours: 168      # binlog retention the plan raises the source to (--retention-hours)
 *     maxWaitMinutes: 180      # for the temporary read replica to become available
 *     catchUpMinutes: 720      # for the replica to catch up once started
 */
export const SeedSlaveConfig = z.strictObject({
  /** Binlog retention the source is raised to when lower or NULL (RDS allows 1-168 h). */
  retentionHours: z.number().int().min(1).max(168).default(168),
  ...temporaryInstanceFields,
  /** How long a job watches the replica catch up before it gives up (the replica keeps going). */
  catchUpMinutes: z
    .number()
    .min(0.1)
    .max(7 * 24 * 60)
    .default(720),
});

export type SeedSlaveConfig = z.infer<typeof SeedSlaveConfig>;
