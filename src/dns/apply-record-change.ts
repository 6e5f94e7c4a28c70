import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { ErrorCode, OpsdeckError } from '../errors';
import { changeBatch, type RecordChange, type RecordValues } from './record-change';
import { recordSetsAt, type RecordSet } from './record-sets';
import { sameValues } from './record-value';

/**
 * Applying one planned `/phz` change in Route53: look at the record set as it is, submit the
 * change batch (atomic: a replace or remove DELETEs the planned old values, so a record changed
 * since the plan is never overwritten), and follow the change until INSYNC.
 */

/** The record set of the change's name and type as Route53 has it now, if any. */
export async function currentRecordSet(
  route53: Route53Client,
  change: Pick<RecordChange, 'zone' | 'name' | 'type'>,
  signal?: AbortSignal,
): Promise<RecordSet | undefined> {
  const sets = await recordSetsAt(route53, change.zone.id, change.name, signal);
  return sets.find((set) => set.type === change.type);
}

/** Whether `set` holds exactly `values` (no values: no record set at all). */
export function holdsValues(
  set: RecordSet | undefined,
  values: RecordValues | undefined,
  type: string,
): boolean {
  if (values === undefined) return set === undefined;
  return (
    set !== undefined &&
    set.alias === undefined &&
    set.ttl === values.ttl &&
    sameValues(type, set.values, values.values)
  );
}

/**
 * Submits the change's batch; returns its change id. Route53 refusing the batch
 * (InvalidChangeBatch: the record is not what the plan said) changed nothing: DnsRecordConflict.
 */
export async function submitRecordChange(
  route53: Route53Client,
  change: RecordChange,
  comment: string,
  signal?: AbortSignal,
): Promise<string> {
  try {
    const submitted = await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: change.zone.id,
        ChangeBatch: { Comment: comment, Changes: changeBatch(change) },
      }),
      { abortSignal: signal },
    );
    return submitted.ChangeInfo!.Id!.replace(/^\/change\//, '');
  } catch (error) {
    if ((error as Error).name === 'InvalidChangeBatch') {
      throw new OpsdeckError(
        ErrorCode.DnsRecordConflict,
        `Route53 refused the change, nothing was changed: ${(error as Error).message}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** The change's status as Route53 reports it: PENDING, then INSYNC. */
export async function changeStatus(
  route53: Route53Client,
  changeId: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const { ChangeInfo } = await route53.send(new GetChangeCommand({ Id: changeId }), {
    abortSignal: signal,
  });
  return ChangeInfo?.Status;
}
