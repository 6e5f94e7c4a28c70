import { AwsError } from '../aws-error';
import type { HostedZoneRecord, ResourceRecordSetRecord } from '../state-store';
import { isInZone } from './dns-names';

export type ChangeAction = 'CREATE' | 'UPSERT' | 'DELETE';

export interface Change {
  action: ChangeAction;
  recordSet: ResourceRecordSetRecord;
}

const describeSet = (set: ResourceRecordSetRecord) => `[name='${set.name}', type='${set.type}']`;

/**
 * Applies a change batch atomically: every change is checked against the state the previous
 * changes of the batch produced; if any fails, nothing is applied and InvalidChangeBatch lists
 * every problem, in Route53's wording.
 */
export function applyChangeBatch(
  zone: HostedZoneRecord,
  changes: Change[],
): ResourceRecordSetRecord[] {
  const sets = [...zone.recordSets];
  const problems: string[] = [];
  const indexOf = (set: ResourceRecordSetRecord) =>
    sets.findIndex((existing) => existing.name === set.name && existing.type === set.type);

  for (const { action, recordSet } of changes) {
    const index = indexOf(recordSet);
    if (!isInZone(recordSet.name, zone.name)) {
      problems.push(`RRSet with DNS name ${recordSet.name} is not permitted in zone ${zone.name}`);
      continue;
    }
    if (action === 'DELETE') {
      if (index < 0) {
        problems.push(
          `Tried to delete resource record set ${describeSet(recordSet)} but it was not found`,
        );
      } else if (!sameContent(sets[index]!, recordSet)) {
        problems.push(
          `Tried to delete resource record set ${describeSet(recordSet)} but the values provided do not match the current values`,
        );
      } else if (
        recordSet.name === zone.name &&
        (recordSet.type === 'SOA' || recordSet.type === 'NS')
      ) {
        problems.push(
          `A HostedZone must contain at least one ${recordSet.type} record for the zone itself.`,
        );
      } else {
        sets.splice(index, 1);
      }
      continue;
    }
    if (action === 'CREATE' && index >= 0) {
      problems.push(
        `Tried to create resource record set ${describeSet(recordSet)} but it already exists`,
      );
      continue;
    }
    const conflict = cnameConflict(sets, recordSet, zone.name);
    if (conflict) {
      problems.push(conflict);
      continue;
    }
    if (index >= 0) sets[index] = recordSet;
    else sets.push(recordSet);
  }
  if (problems.length > 0) throw new AwsError('InvalidChangeBatch', `[${problems.join(', ')}]`);
  return sets;
}

function cnameConflict(
  sets: ResourceRecordSetRecord[],
  set: ResourceRecordSetRecord,
  zoneName: string,
): string | undefined {
  const others = sets.filter(
    (existing) => existing.name === set.name && existing.type !== set.type,
  );
  if (set.type === 'CNAME' && others.length > 0) {
    return `RRSet of type CNAME with DNS name ${set.name} is not permitted as it conflicts with other records with the same DNS name in zone ${zoneName}`;
  }
  if (set.type !== 'CNAME' && others.some((existing) => existing.type === 'CNAME')) {
    return `RRSet of type ${set.type} with DNS name ${set.name} is not permitted because a conflicting RRSet of type CNAME with the same DNS name already exists in zone ${zoneName}`;
  }
  return undefined;
}

function sameContent(a: ResourceRecordSetRecord, b: ResourceRecordSetRecord): boolean {
  return a.ttl === b.ttl && JSON.stringify(a.values) === JSON.stringify(b.values);
}
