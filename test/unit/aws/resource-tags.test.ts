import { TAG, jobTags, tagValue } from '../../../src/aws/resource-tags';

describe('jobTags', () => {
  it('tags a resource with its job, purpose, requester and source', () => {
    expect(
      jobTags({
        jobId: 'restore-table-0123456789',
        purpose: 'restore',
        requestedBy: 'U0123',
        source: 'billing-prod-1',
      }),
    ).toEqual([
      { Key: 'opsdeck:job-id', Value: 'restore-table-0123456789' },
      { Key: 'opsdeck:purpose', Value: 'restore' },
      { Key: 'opsdeck:requested-by', Value: 'U0123' },
      { Key: 'opsdeck:source', Value: 'billing-prod-1' },
    ]);
  });

  it('leaves the source tag out when there is no source, rather than tagging it empty', () => {
    const tags = jobTags({ jobId: 'j-0123456789', purpose: 'restore', requestedBy: 'U0123' });
    expect(tags.map((tag) => tag.Key)).toEqual([TAG.jobId, TAG.purpose, TAG.requestedBy]);
  });

  it('keeps an empty source as a tag: only a missing source is left out', () => {
    const tags = jobTags({ jobId: 'j', purpose: 'p', requestedBy: 'U', source: '' });
    expect(tagValue(tags, TAG.source)).toBe('');
  });

  it('uses the keys the leftover sweep looks for, all under the opsdeck: prefix', () => {
    expect(Object.values(TAG).every((key) => key.startsWith('opsdeck:'))).toBe(true);
    expect(new Set(Object.values(TAG)).size).toBe(Object.values(TAG).length);
  });
});

describe('tagValue', () => {
  const tags = jobTags({ jobId: 'j-0123456789', purpose: 'restore', requestedBy: 'U0123' });

  it('reads the value of a tag by key', () => {
    expect(tagValue(tags, TAG.jobId)).toBe('j-0123456789');
    expect(tagValue(tags, TAG.requestedBy)).toBe('U0123');
  });

  it('gives undefined for a missing key, a missing tag list and an empty list', () => {
    expect(tagValue(tags, TAG.keep)).toBeUndefined();
    expect(tagValue(undefined, TAG.jobId)).toBeUndefined();
    expect(tagValue([], TAG.jobId)).toBeUndefined();
  });

  it('matches keys exactly: case and prefix matter', () => {
    expect(tagValue(tags, 'OPSDECK:JOB-ID')).toBeUndefined();
    expect(tagValue(tags, 'job-id')).toBeUndefined();
  });

  it('takes the first of duplicate keys and skips tags without a key', () => {
    expect(
      tagValue(
        [{ Value: 'no key' }, { Key: 'k', Value: 'first' }, { Key: 'k', Value: 'second' }],
        'k',
      ),
    ).toBe('first');
  });

  it('gives undefined for a tag that has a key but no value', () => {
    expect(tagValue([{ Key: 'k' }], 'k')).toBeUndefined();
  });
});
