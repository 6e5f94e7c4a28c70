import type { Change } from '@aws-sdk/client-route-53';
import { z } from 'zod';
import { RECORD_TYPES } from './record-value';
import { recordSetText } from './record-set-text';

/**
 * One `/phz` change as planned in the front door and carried by the job: the record set before
 * and after. Route53 applies the batch atomically and DELETE must name the current values
 * exactly, so a replace (DELETE old + CREATE new) or a remove changes nothing when the record
 * is no longer what the plan showed: the plan's old values are the ones replaced.
 */
export const RecordValues = z.strictObject({
  ttl: z.number().int().min(0),
  values: z.array(z.string().min(1)).min(1),
});
export type RecordValues = z.infer<typeof RecordValues>;

export const RecordChange = z
  .strictObject({
    action: z.enum(['create', 'replace', 'delete']),
    zone: z.strictObject({ id: z.string().regex(/^Z[A-Z0-9]{1,32}$/), name: z.string() }),
    name: z.string().min(1),
    type: z.enum(RECORD_TYPES),
    old: RecordValues.optional(),
    new: RecordValues.optional(),
  })
  .refine(
    (change) =>
      (change.old !== undefined) === (change.action !== 'create') &&
      (change.new !== undefined) === (change.action !== 'delete'),
    'create has new values only, delete old ones only, replace both',
  );
export type RecordChange = z.infer<typeof RecordChange>;

/** The Route53 change batch of a planned change. */
export function changeBatch(change: RecordChange): Change[] {
  const set = (values: RecordValues) => ({
    Name: change.name,
    Type: change.type,
    TTL: values.ttl,
    ResourceRecords: values.values.map((Value) => ({ Value })),
  });
  return [
    ...(change.old ? [{ Action: 'DELETE' as const, ResourceRecordSet: set(change.old) }] : []),
    ...(change.new ? [{ Action: 'CREATE' as const, ResourceRecordSet: set(change.new) }] : []),
  ];
}

/** `add`/`replace`/`remove` in one line, old and new values included. */
export function describeChange(change: RecordChange): string {
  const text = (values: RecordValues) => recordSetText({ type: change.type, ...values });
  switch (change.action) {
    case 'create':
      return `add \`${change.name}\` ${text(change.new!)}`;
    case 'replace':
      return `replace \`${change.name}\` ${text(change.old!)} with ${text(change.new!)}`;
    case 'delete':
      return `remove \`${change.name}\` ${text(change.old!)}`;
  }
}
