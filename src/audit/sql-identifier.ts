/**
 * Identifiers (database and table names) cannot be query parameters, so the few that come from
 * config are checked against a strict pattern and backquoted; values always go as parameters.
 */
const IDENTIFIER = /^[A-Za-z0-9_]{1,64}$/;

export function quoteIdentifier(name: string): string {
  if (!IDENTIFIER.test(name))
    throw new RangeError(`not a safe SQL identifier: ${JSON.stringify(name)}`);
  return `\`${name}\``;
}

/** `db`.`table` */
export function qualifiedTable(database: string, table: string): string {
  return `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}
