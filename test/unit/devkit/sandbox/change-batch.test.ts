import { applyChangeBatch } from '../../../../devkit/sandbox/route53/change-batch';
import type {
  HostedZoneRecord,
  ResourceRecordSetRecord,
} from '../../../../devkit/sandbox/state-store';

const set = (name: string, type: string, values = ['x'], ttl = 60): ResourceRecordSetRecord => ({
  name,
  type,
  ttl,
  values,
});

function zone(recordSets: ResourceRecordSetRecord[] = []): HostedZoneRecord {
  return {
    id: 'Z1',
    name: 'example.internal.',
    callerReference: 'r',
    privateZone: true,
    vpcs: [],
    recordSets: [set('example.internal.', 'SOA'), set('example.internal.', 'NS'), ...recordSets],
  };
}

describe('Route53 change batches', () => {
  it('applies CREATE, UPSERT and DELETE in order within one batch', () => {
    const result = applyChangeBatch(zone([set('a.example.internal.', 'A', ['10.0.0.1'])]), [
      { action: 'DELETE', recordSet: set('a.example.internal.', 'A', ['10.0.0.1']) },
      { action: 'CREATE', recordSet: set('a.example.internal.', 'CNAME', ['b.example.internal']) },
      { action: 'UPSERT', recordSet: set('c.example.internal.', 'TXT', ['"v"']) },
    ]);
    expect(result.map((s) => `${s.name} ${s.type}`)).toEqual([
      'example.internal. SOA',
      'example.internal. NS',
      'a.example.internal. CNAME',
      'c.example.internal. TXT',
    ]);
  });

  it('fails the whole batch and lists every problem', () => {
    const original = zone([set('a.example.internal.', 'A')]);
    const before = JSON.stringify(original);
    expect(() =>
      applyChangeBatch(original, [
        { action: 'CREATE', recordSet: set('new.example.internal.', 'A') },
        { action: 'CREATE', recordSet: set('a.example.internal.', 'A') },
        { action: 'DELETE', recordSet: set('a.example.internal.', 'A', ['other']) },
        { action: 'UPSERT', recordSet: set('a.example.internal.', 'CNAME') },
        { action: 'DELETE', recordSet: set('example.internal.', 'SOA') },
      ]),
    ).toThrow(
      expect.objectContaining({
        code: 'InvalidChangeBatch',
        message:
          "[Tried to create resource record set [name='a.example.internal.', type='A'] but it already exists, " +
          "Tried to delete resource record set [name='a.example.internal.', type='A'] but the values provided do not match the current values, " +
          'RRSet of type CNAME with DNS name a.example.internal. is not permitted as it conflicts with other records with the same DNS name in zone example.internal., ' +
          'A HostedZone must contain at least one SOA record for the zone itself.]',
      }),
    );
    expect(JSON.stringify(original)).toBe(before);
  });
});
