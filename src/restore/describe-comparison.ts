import type { TableComparison } from '../mysql/compare-tables';
import type { CopyValue } from '../mysql/copy-session';
import { join, md, type Mrkdwn } from '../slack/mrkdwn';

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

function line(label: string, count: number, sample: CopyValue[][], what: string): Mrkdwn {
  if (count === 0) return md`• ${label}: none`;
  // Keys are production data: text, so `<!channel>` or `<https://...|x>` in a key is shown, not acted on.
  const keys = sample.map(describeKey).join(', ');
  const more = count > sample.length ? `, …` : '';
  return keys
    ? md`• ${label}: *${count}* ${what} (keys ${keys}${more})`
    : md`• ${label}: *${count}* ${what}`;
}

/** What the mistake did, by key: production compared with the restored side table. */
export function describeComparison(comparison: TableComparison, table: string, at: string): Mrkdwn {
  const { missing, changed, extra } = comparison;
  return join(
    [
      md`Production ${table} compared with the restored copy as of ${at}, by ${comparison.key.join(', ')}:`,
      line('missing from production', missing.count, missing.sample, 'rows (deleted since)'),
      line('changed in production', changed.count, changed.sample, 'rows (updated since)'),
      line('extra in production', extra.count, extra.sample, 'rows (written since)'),
    ],
    '\n',
  );
}
