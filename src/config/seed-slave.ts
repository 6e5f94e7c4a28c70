import { z } from 'zod';
import { DATABASE_NAME_PATTERN } from './databases';
import { envName, mysqlTls, temporaryInstanceFields } from './config-fields';

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
 *       tls: { mode: verify-identity, caFile: /etc/opsdeck/dc1-ca.pem }   # opsdeck → replica
 *       sourceTls: verify-identity        # replica → source (the default)
 *       sourceCaFile: /etc/mysql/rds-global-bundle.pem   # a path ON THE REPLICA HOST
 *       watchSeconds: 60                  # the replica watch's interval (replicaWatch)
 *
 * The replication channel is the replica's own connection to the source, so the CA it checks the
 * source's certificate against must be a file on the replica's host: `sourceCaFile` is that path
 * (MASTER_SSL_CA / SOURCE_SSL_CA), never read by opsdeck. A relative path is taken from opsdeck's
 * working directory, which is right only for a replica on opsdeck's own host (console mode).
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

export const ReplicaTarget = z
  .strictObject({
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
    /** TLS from opsdeck to the replica. */
    tls: mysqlTls.prefault({}),
    /**
     * TLS of the replication channel: `verify-identity` (the default) has the replica check the
     * source's certificate against `sourceCaFile` and the source's name; `required` encrypts (and
     * checks the chain when `sourceCaFile` is set); `disabled` is plain TCP.
     */
    sourceTls: z.enum(['disabled', 'required', 'verify-identity']).default('verify-identity'),
    sourceCaFile: z
      .string()
      .regex(
        /^[^\0\r\n]{1,512}$/,
        'must be a file path on the replica host (at most 512 characters)',
      )
      .optional(),
    /** How often the replica watch checks it; `replicaWatch.intervalSeconds` when omitted. */
    watchSeconds: z.number().min(1).max(86_400).optional(),
  })
  .refine((replica) => replica.sourceTls !== 'verify-identity' || replica.sourceCaFile, {
    path: ['sourceCaFile'],
    message:
      "is needed with sourceTls verify-identity: the path, on the replica host, of the CA bundle that signs the source's certificate (for RDS: https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem, see the README)",
  })
  .refine((replica) => replica.sourceTls !== 'disabled' || replica.sourceCaFile === undefined, {
    path: ['sourceCaFile'],
    message: 'is only used with TLS: remove it, or set sourceTls to required or verify-identity',
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
