import type { TableComparison } from '../mysql/compare-tables';
import type { CopyValue } from '../mysql/copy-session';

/** A key as the user reads it: `42`, `(7, 'eu')`, binary as hex. */
export function describeKey(values: CopyValue[]): string {
  const shown = values.map((value) =>
    value === null
      ? 'NULL'
      : Buffer.isBuffer(value)
        ? `0x${value.toString('hex')}`
        : /^-?\d+(\.\d+)?$/.test(value)
          ? value
          : `'${value.replace(/'/g, "''")}'`,
  );
  return shown.length === 1 ? shown[0]! : `(${shown.join(', ')})`;
}

function line(label: string, count: number, sample: CopyValue[][], what: string): string {
  if (count === 0) return `• ${label}: none`;
  // Keys are production data: escaped, so `<!channel>` or `<https://...|x>` in a key is shown, not acted on.
  const keys = sample
    .map(describeKey)
    .join(', ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
  const more = count > sample.length ? `, …` : '';
  return `• ${label}: *${count}* ${what}${keys ? ` (keys ${keys}${more})` : ''}`;
}

/** What the mistake did, by key: production compared with the restored side table. */
export function describeComparison(comparison: TableComparison, table: string, at: string): string {
  const { missing, changed, extra } = comparison;
  return [
    `Production ${table} compared with the restored copy as of ${at}, by ${comparison.key.join(', ')}:`,
    line('missing from production', missing.count, missing.sample, 'rows (deleted since)'),
    line('changed in production', changed.count, changed.sample, 'rows (updated since)'),
    line('extra in production', extra.count, extra.sample, 'rows (written since)'),
  ].join('\n');
}
