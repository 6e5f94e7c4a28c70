import type { Tag } from '@aws-sdk/client-rds';

/**
 * Tags on every cloud resource a job creates, so that a leftover can be traced to its job and
 * found by the sweep (leftover-sweep.ts) even if the job's own records are lost.
 */
export const TAG = {
  jobId: 'opsdeck:job-id',
  purpose: 'opsdeck:purpose',
  requestedBy: 'opsdeck:requested-by',
  source: 'opsdeck:source',
  /** Set on an instance the requester asked to keep (`--keep-instance`): reported, not deleted. */
  keep: 'opsdeck:keep',
} as const;

export interface JobTags {
  jobId: string;
  purpose: string;
  requestedBy: string;
  source?: string;
}

export function jobTags(tags: JobTags): Tag[] {
  return [
    { Key: TAG.jobId, Value: tags.jobId },
    { Key: TAG.purpose, Value: tags.purpose },
    { Key: TAG.requestedBy, Value: tags.requestedBy },
    ...(tags.source === undefined ? [] : [{ Key: TAG.source, Value: tags.source }]),
  ];
}

export function tagValue(
  tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined,
  key: string,
): string | undefined {
  return tags?.find((tag) => tag.Key === key)?.Value;
}
