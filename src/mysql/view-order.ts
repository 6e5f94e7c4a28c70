import { ErrorCode, OpsdeckError } from '../errors';

/** One backquoted name where it starts (a backquote inside it is doubled). */
const QUOTED_NAME = /`((?:[^`]|``)+)`/y;

/**
 * The `db.name` pairs a view's stored definition names that are among `views` (other than the
 * view itself). MySQL and MariaDB store a view's SELECT with every table qualified
 * (`db`.`t`, `db`.`t`.`column`), so a scan for backquoted pairs finds what it reads from. A pair
 * that is really `table`.`column`, or sits inside a string, counts only if it happens to name a
 * listed view: at worst an extra ordering constraint, never a missed one.
 */
export function viewReferences(
  self: string,
  definition: string,
  views: ReadonlySet<string>,
): string[] {
  const found = new Set<string>();
  for (const [db, name] of qualifiedNames(definition)) {
    const key = `${db}.${name}`;
    if (key !== self && views.has(key)) found.add(key);
  }
  return [...found];
}

/**
 * The `a`.`b` pairs of backquoted names, read left to right one name at a time (a regular
 * expression searching for the pair would start again inside every run of backquotes); after a
 * pair the next one starts afresh, so `db`.`t`.`column` is (db, t).
 */
function* qualifiedNames(definition: string): Generator<[string, string]> {
  let previous: { name: string; end: number } | undefined;
  for (let at = definition.indexOf('`'); at !== -1;) {
    QUOTED_NAME.lastIndex = at;
    const match = QUOTED_NAME.exec(definition);
    if (!match) {
      previous = undefined;
      at = definition.indexOf('`', at + 1);
      continue;
    }
    const name = match[1]!.replaceAll('``', '`');
    const end = QUOTED_NAME.lastIndex;
    if (previous && previous.end + 1 === at && definition[previous.end] === '.') {
      yield [previous.name, name];
      previous = undefined;
    } else previous = { name, end };
    at = definition.indexOf('`', end);
  }
}

/**
 * Orders views so each comes after the views it selects from (CREATE VIEW needs them to exist),
 * across databases, otherwise keeping the given order (a reference to a view not listed is
 * not waited for: it exists already or the CREATE fails on its own). A cycle cannot exist among real views; if
 * the references say otherwise, the copy is refused rather than left to fail half-way.
 */
export function orderViews<T extends { key: string; dependsOn: string[] }>(views: T[]): T[] {
  const listed = new Set(views.map((view) => view.key));
  const ordered: T[] = [];
  const placed = new Set<string>();
  let remaining = views;
  while (remaining.length > 0) {
    const ready = remaining.filter((view) =>
      view.dependsOn.every((key) => placed.has(key) || !listed.has(key)),
    );
    if (ready.length === 0)
      throw new OpsdeckError(
        ErrorCode.MysqlCopyUnsupported,
        `cannot order views that refer to each other in a cycle: ${remaining.map((v) => v.key).join(', ')}`,
      );
    for (const view of ready) {
      ordered.push(view);
      placed.add(view.key);
    }
    remaining = remaining.filter((view) => !placed.has(view.key));
  }
  return ordered;
}
