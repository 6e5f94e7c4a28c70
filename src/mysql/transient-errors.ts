/** mysql2 error codes for a lost connection or a lock conflict: the statement may be tried again. */
const TRANSIENT_MYSQL_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
]);

/** Whether a MySQL error may go away on a later attempt. */
export function isTransientMysqlError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_MYSQL_CODES.has(code);
}
