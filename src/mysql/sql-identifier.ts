import { ErrorCode, OpsdeckError } from '../errors';

/**
 * Identifiers (database, table and column names) cannot be query parameters, so every one that goes
 * into SQL is checked against a strict pattern and backquoted; values always go as parameters. The
 * pattern has no backquote, quote, space, dot or semicolon, so a checked name cannot leave its quotes.
 */
export const IDENTIFIER_PATTERN = /^[A-Za-z0-9_$]{1,64}$/;

/** Throws a coded error unless `name` is a safe identifier; returns it unchanged. */
export function checkIdentifier(name: string): string {
  if (!IDENTIFIER_PATTERN.test(name))
    throw new OpsdeckError(
      ErrorCode.MysqlIdentifierInvalid,
      `not a safe SQL identifier (1-64 of A-Z a-z 0-9 _ $): ${JSON.stringify(name)}`,
    );
  return name;
}

export function quoteIdentifier(name: string): string {
  return `\`${checkIdentifier(name)}\``;
}

/** `db`.`table` */
export function qualifiedTable(database: string, table: string): string {
  return `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}
