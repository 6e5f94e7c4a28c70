/**
 * Every error opsdeck raises on purpose carries a stable code, so logs, metrics, the audit trail
 * and tests can match on it without parsing messages. `cause` keeps the underlying error.
 *
 * `retryable` tells the runbook engine whether trying again may help (network blips, throttling,
 * a resource still in a transitional state) or cannot (bad input, a missing table).
 */
export const ErrorCode = {
  ConfigInvalid: 'OPSDECK_CONFIG_INVALID',
  ConfigNotFound: 'OPSDECK_CONFIG_NOT_FOUND',
  SecretMissing: 'OPSDECK_SECRET_MISSING',
  UsageError: 'OPSDECK_USAGE_ERROR',
  UnknownCommand: 'OPSDECK_UNKNOWN_COMMAND',
  JobNotFound: 'OPSDECK_JOB_NOT_FOUND',
  JobCancelled: 'OPSDECK_JOB_CANCELLED',
  StepTimeout: 'OPSDECK_STEP_TIMEOUT',
  StepFailed: 'OPSDECK_STEP_FAILED',
  CleanupFailed: 'OPSDECK_CLEANUP_FAILED',
  RunbookNotFound: 'OPSDECK_RUNBOOK_NOT_FOUND',
  InputInvalid: 'OPSDECK_INPUT_INVALID',
  /** A job's runbook or input is not what was planned and approved (their digests differ): not run. */
  PlanChanged: 'OPSDECK_PLAN_CHANGED',
  /** A step needs state an earlier step records, and it is not there: the runbook's order is broken. */
  StepStateMissing: 'OPSDECK_STEP_STATE_MISSING',
  SlackApi: 'OPSDECK_SLACK_API_ERROR',
  Transient: 'OPSDECK_TRANSIENT',
  AuditUnavailable: 'OPSDECK_AUDIT_UNAVAILABLE',
  /** The audit signing key (environment) or public key (config) is not a usable Ed25519 key, or they do not match. */
  AuditKeyInvalid: 'OPSDECK_AUDIT_KEY_INVALID',
  /** A digest could not be written to, or read from, the digest sink (S3 bucket or directory). */
  AuditDigestSinkFailed: 'OPSDECK_AUDIT_DIGEST_SINK_FAILED',
  /** No digest was signed: the audit rows no longer extend the head the last digest signed (tampering). */
  AuditAnchorRefused: 'OPSDECK_AUDIT_ANCHOR_REFUSED',
  /** The key that signs queued work (queue.signingKeyEnv) is missing, too short, or the previous key is the same. */
  QueueKeyInvalid: 'OPSDECK_QUEUE_KEY_INVALID',
  /** A record read from Redis (a job, checkpoint, approval, decision, cancel, outbox or spool entry) has no valid MAC: refused. */
  WorkUnauthenticated: 'OPSDECK_WORK_UNAUTHENTICATED',
  /** A runbook's mid-run approval was rejected. */
  ApprovalRejected: 'OPSDECK_APPROVAL_REJECTED',
  /** A runbook's mid-run approval expired without a decision. */
  ApprovalExpired: 'OPSDECK_APPROVAL_EXPIRED',
  /** A runbook asked for approval, but the access policy no longer allows the request or names no approver. */
  ApprovalImpossible: 'OPSDECK_APPROVAL_IMPOSSIBLE',
  /** The sandbox cloud is running when it must not be (reset), or not running when it must (seed). */
  SandboxState: 'OPSDECK_SANDBOX_STATE',
  /** A DNS name or record value that is not valid for its type (the message names the bad part). */
  DnsInputInvalid: 'OPSDECK_DNS_INPUT_INVALID',
  /** A hosted zone `/phz` must not or cannot use: not found, public, or ambiguous by name. */
  DnsZoneRefused: 'OPSDECK_DNS_ZONE_REFUSED',
  /** A record set is not what the plan expected (changed since, or Route53 refused the batch). */
  DnsRecordConflict: 'OPSDECK_DNS_RECORD_CONFLICT',
  /** A Route53 change did not reach INSYNC within the configured wait. */
  DnsChangeTimeout: 'OPSDECK_DNS_CHANGE_TIMEOUT',
  /** A database, table or column name that is not a safe SQL identifier (checked before any SQL runs). */
  MysqlIdentifierInvalid: 'OPSDECK_MYSQL_IDENTIFIER_INVALID',
  /** The table to copy, compare or checksum does not exist. */
  MysqlTableNotFound: 'OPSDECK_MYSQL_TABLE_NOT_FOUND',
  /** The copy's side table already exists and resuming into it was not asked for. */
  MysqlSideTableExists: 'OPSDECK_MYSQL_SIDE_TABLE_EXISTS',
  /** A table definition (SHOW CREATE TABLE) the copy engine cannot turn into a side table safely. */
  MysqlTableDefinitionUnexpected: 'OPSDECK_MYSQL_TABLE_DEFINITION_UNEXPECTED',
  /** A MySQL session the copy engine cannot use as is (its character set is not utf8mb4). */
  MysqlSessionUnsuitable: 'OPSDECK_MYSQL_SESSION_UNSUITABLE',
  /** Comparing tables row by row needs a primary key or a NOT NULL unique key. */
  MysqlNoUsableKey: 'OPSDECK_MYSQL_NO_USABLE_KEY',
  /** An RDS instance a job needs is not usable: gone, failed, without endpoint. */
  RdsInstanceUnusable: 'OPSDECK_RDS_INSTANCE_UNUSABLE',
  /** An RDS instance did not become available (or gone) within the configured wait. */
  RdsWaitTimeout: 'OPSDECK_RDS_WAIT_TIMEOUT',
  /** A cloud resource with the name a job meant to use exists and belongs to something else. */
  ResourceConflict: 'OPSDECK_RESOURCE_CONFLICT',
  /** A restore step refused to change production because the result would not be what was promised. */
  RestoreRefused: 'OPSDECK_RESTORE_REFUSED',
  /** /seed-slave will not seed: the preflight found what would make the replica fail. */
  SeedRefused: 'OPSDECK_SEED_REFUSED',
  /** A copy asked for LOAD DATA LOCAL but the destination server has local_infile off. */
  MysqlLoadDataRefused: 'OPSDECK_MYSQL_LOAD_DATA_REFUSED',
  /** A LOAD DATA statement of a copy stored another number of rows than it was sent. */
  MysqlCopyRowsLost: 'OPSDECK_MYSQL_COPY_ROWS_LOST',
  /** A MySQL server whose VERSION() opsdeck cannot read as MySQL or MariaDB major.minor.patch. */
  MysqlVersionUnknown: 'OPSDECK_MYSQL_VERSION_UNKNOWN',
  /** A MySQL connection's `tls.caFile` cannot be read or holds no certificate. */
  MysqlTlsCaUnreadable: 'OPSDECK_MYSQL_TLS_CA_UNREADABLE',
  /** A MySQL server's certificate is not signed by a CA the connection trusts (`tls.caFile`). */
  MysqlTlsUnknownCa: 'OPSDECK_MYSQL_TLS_UNKNOWN_CA',
  /** A MySQL server's certificate does not name the host the connection dialled (tls.mode verify-identity). */
  MysqlTlsNameMismatch: 'OPSDECK_MYSQL_TLS_NAME_MISMATCH',
  /** A MySQL server does not offer TLS, and the connection's tls.mode requires it. */
  MysqlTlsNotOffered: 'OPSDECK_MYSQL_TLS_NOT_OFFERED',
  /** A MySQL server refuses a plain connection (require_secure_transport=ON) and tls.mode is disabled. */
  MysqlTlsRequiredByServer: 'OPSDECK_MYSQL_TLS_REQUIRED_BY_SERVER',
  /** Another TLS failure with a MySQL server (expired or not yet valid certificate, handshake failure). */
  MysqlTlsFailed: 'OPSDECK_MYSQL_TLS_FAILED',
  /** The server has no binary log (log_bin off): it cannot be a replication source. */
  MysqlBinlogDisabled: 'OPSDECK_MYSQL_BINLOG_DISABLED',
  /** The server is not configured as a replica (SHOW REPLICA STATUS is empty). */
  MysqlNotAReplica: 'OPSDECK_MYSQL_NOT_A_REPLICA',
  /** A replication statement (CHANGE MASTER TO, START/STOP REPLICA) failed; the server's text says why. */
  ReplicationStatementFailed: 'OPSDECK_REPLICATION_STATEMENT_FAILED',
  /** A replica's IO or SQL thread stopped or reports an error; the message has the server's text. */
  ReplicationBroken: 'OPSDECK_REPLICATION_BROKEN',
  /** The source purged a binary log the replica still needs (IO error 1236): only a reseed helps. */
  ReplicationBinlogGone: 'OPSDECK_REPLICATION_BINLOG_GONE',
  /** A replica did not catch up with its source within the configured wait. */
  ReplicationWaitTimeout: 'OPSDECK_REPLICATION_WAIT_TIMEOUT',
  /** opsdeck's own database does not exist and its account may not create it; the message has the statements an administrator runs. */
  MysqlOwnDatabaseMissing: 'OPSDECK_MYSQL_OWN_DATABASE_MISSING',
  /** A database a copy was asked for does not exist on the source. */
  MysqlDatabaseNotFound: 'OPSDECK_MYSQL_DATABASE_NOT_FOUND',
  /** Something a database copy cannot reproduce faithfully; refused before anything changes. */
  MysqlCopyUnsupported: 'OPSDECK_MYSQL_COPY_UNSUPPORTED',
  /** A checkpoint given to resume a copy belongs to another copy or another source. */
  MysqlResumeMismatch: 'OPSDECK_MYSQL_RESUME_MISMATCH',
  /** `/deploy`: the app+environment is locked (by a running deploy or a manual lock); the message says by whom, since when, why. */
  DeployLocked: 'OPSDECK_DEPLOY_LOCKED',
  /** `/deploy`: a lock release or renewal by someone who does not hold the lock. */
  DeployLockNotHeld: 'OPSDECK_DEPLOY_LOCK_NOT_HELD',
  /** `/deploy`: a command template that cannot be rendered (unknown placeholder, a value with a NUL byte, a value missing). */
  DeployTemplateInvalid: 'OPSDECK_DEPLOY_TEMPLATE_INVALID',
  /** `/deploy`: an app or environment that is not in the `deploy` config. */
  DeployTargetUnknown: 'OPSDECK_DEPLOY_TARGET_UNKNOWN',
  /** `/deploy`: the history has no deploy with this job id (its start was never recorded). */
  DeployHistoryMissing: 'OPSDECK_DEPLOY_HISTORY_MISSING',
  /** `/deploy`: the targets name no host (no running EC2 instance matched the tag filters, or none had the configured address); the message names the filters. */
  DeployNoHosts: 'OPSDECK_DEPLOY_NO_HOSTS',
  /** A status feed could not be fetched: network, timeout, or an HTTP error status. */
  FeedUnreachable: 'OPSDECK_FEED_UNREACHABLE',
  /** A status feed's response was larger than feeds.maxBytes; it was cut off. */
  FeedTooLarge: 'OPSDECK_FEED_TOO_LARGE',
  /** A status feed's content was rejected: not the format expected, malformed, or hostile. */
  FeedInvalid: 'OPSDECK_FEED_INVALID',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface OpsdeckErrorOptions {
  cause?: unknown;
  retryable?: boolean;
}

export class OpsdeckError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: OpsdeckErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OpsdeckError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** The user's input cannot be run as given; the message says what is wrong, `usage` how to write it. */
export class UsageError extends OpsdeckError {
  readonly usage: string;
  constructor(message: string, usage: string, options: OpsdeckErrorOptions = {}) {
    super(ErrorCode.UsageError, message, options);
    this.name = 'UsageError';
    this.usage = usage;
  }
}

export class ConfigError extends OpsdeckError {
  constructor(message: string, options: OpsdeckErrorOptions = {}) {
    super(ErrorCode.ConfigInvalid, message, options);
    this.name = 'ConfigError';
  }
}

/** Thrown into a running step when its job is cancelled. Never retried. */
export class CancelledError extends OpsdeckError {
  constructor(message = 'cancelled', options: OpsdeckErrorOptions = {}) {
    super(ErrorCode.JobCancelled, message, options);
    this.name = 'CancelledError';
  }
}

/** A failure worth retrying (network, throttling, a resource not ready yet). */
export class TransientError extends OpsdeckError {
  constructor(message: string, options: Omit<OpsdeckErrorOptions, 'retryable'> = {}) {
    super(ErrorCode.Transient, message, { ...options, retryable: true });
    this.name = 'TransientError';
  }
}

/**
 * A status feed that failed (see src/feeds): `httpStatus` when the server answered, `retryAfterMs`
 * when it said how long to wait (429/503 Retry-After).
 */
export class FeedError extends OpsdeckError {
  readonly httpStatus: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(
    code:
      | typeof ErrorCode.FeedUnreachable
      | typeof ErrorCode.FeedTooLarge
      | typeof ErrorCode.FeedInvalid,
    message: string,
    options: OpsdeckErrorOptions & { httpStatus?: number; retryAfterMs?: number } = {},
  ) {
    super(code, message, options);
    this.name = 'FeedError';
    this.httpStatus = options.httpStatus;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isOpsdeckError(error: unknown): error is OpsdeckError {
  return error instanceof OpsdeckError;
}

/** A one-line description of any thrown value, for logs and Slack. */
export function describeError(error: unknown): string {
  if (error instanceof OpsdeckError) return `${error.message} (${error.code})`;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
