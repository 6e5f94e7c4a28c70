import { negativeTtl, negativeTtlWarning } from '../../../src/dns/negative-ttl';

const ZONE = { id: 'Z0TEST', name: 'prod.example.internal.' };
const soa = (ttl: number, minimum: number) => ({
  name: ZONE.name,
  type: 'SOA',
  ttl,
  values: [`ns-1.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 ${minimum}`],
});

describe('negative caching TTL', () => {
  it('is the minimum of the SOA TTL and its last field', () => {
    expect(negativeTtl(soa(900, 86400))?.seconds).toBe(900);
    expect(negativeTtl(soa(900, 30))?.seconds).toBe(30);
    expect(negativeTtl({ ...soa(900, 1), values: ['garbage'] })).toBeUndefined();
  });

  it('warns above the limit with the exact UPSERT that fixes it', () => {
    const warning = negativeTtlWarning(ZONE, soa(900, 86400), 60)!.text;
    expect(warning).toContain(
      'caches "does not exist" for 900 s (min of SOA TTL 900 and its last field 86400)',
    );
    expect(warning).toContain('--hosted-zone-id Z0TEST');
    expect(warning).toContain(
      '"ResourceRecordSet":{"Name":"prod.example.internal.","Type":"SOA","TTL":900,"ResourceRecords":[{"Value":"ns-1.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 60"}]}',
    );
    expect(negativeTtlWarning(ZONE, soa(900, 60), 60)).toBeUndefined();
    expect(negativeTtlWarning(ZONE, soa(45, 86400), 60)).toBeUndefined();
  });
});
