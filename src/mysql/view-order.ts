import { ErrorCode, OpsdeckError } from '../errors';

const QUALIFIED_NAME = /`((?:[^`]|``)+)`\.`((?:[^`]|``)+)`/g;

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
  for (const match of definition.matchAll(QUALIFIED_NAME)) {
    const key = `${match[1]!.replace(/``/g, '`')}.${match[2]!.replace(/``/g, '`')}`;
    if (key !== self && views.has(key)) found.add(key);
  }
  return [...found];
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
