import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  waitUntilResourceRecordSetsChanged,
  type Change,
} from '@aws-sdk/client-route-53';
import { FAST_WAITER, startTestSandbox, type TestSandbox } from '../../../helpers/sandbox';

const cname = (action: Change['Action'], name: string, value: string): Change => ({
  Action: action,
  ResourceRecordSet: { Name: name, Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: value }] },
});

describe('sandbox Route53 through the real SDK v3 client', () => {
  let t: TestSandbox;
  let zoneId: string;

  beforeAll(async () => {
    t = await startTestSandbox();
    const created = await t.clients.route53.send(
      new CreateHostedZoneCommand({
        Name: 'Prod.Example.Internal',
        CallerReference: 'zone-1',
        VPC: { VPCId: 'vpc-0123456789abcdef0', VPCRegion: 'us-east-1' },
        HostedZoneConfig: { Comment: 'service discovery', PrivateZone: true },
      }),
    );
    zoneId = created.HostedZone!.Id!;
    expect(created.ChangeInfo?.Status).toBe('PENDING');
    expect(created.Location).toContain(zoneId.replace('/hostedzone/', ''));
  });

  afterAll(() => t.dispose());

  it('creates a private zone with its VPC, SOA and NS records', async () => {
    expect(zoneId).toMatch(/^\/hostedzone\/Z[0-9A-Z]+$/);
    const zone = await t.clients.route53.send(new GetHostedZoneCommand({ Id: zoneId }));
    expect(zone.HostedZone).toMatchObject({
      Name: 'prod.example.internal.',
      Config: { PrivateZone: true, Comment: 'service discovery' },
      ResourceRecordSetCount: 2,
    });
    expect(zone.VPCs).toEqual([{ VPCId: 'vpc-0123456789abcdef0', VPCRegion: 'us-east-1' }]);
    const { ResourceRecordSets } = await t.clients.route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }),
    );
    const soa = ResourceRecordSets!.find((set) => set.Type === 'SOA')!;
    expect(soa.TTL).toBe(900);
    expect(soa.ResourceRecords![0]!.Value!.split(' ')).toHaveLength(7);
    expect(ResourceRecordSets!.find((set) => set.Type === 'NS')!.ResourceRecords).toHaveLength(4);
    await expect(
      t.clients.route53.send(new GetHostedZoneCommand({ Id: 'ZNOPE' })),
    ).rejects.toMatchObject({
      name: 'NoSuchHostedZone',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('lists zones by name from a start name (not a filter)', async () => {
    await t.clients.route53.send(
      new CreateHostedZoneCommand({ Name: 'zzz.example.com', CallerReference: 'zone-2' }),
    );
    const listed = await t.clients.route53.send(
      new ListHostedZonesByNameCommand({ DNSName: 'prod.example.internal' }),
    );
    expect(listed.HostedZones!.map((zone) => zone.Name)).toEqual(['prod.example.internal.']);
    const all = await t.clients.route53.send(new ListHostedZonesByNameCommand({ MaxItems: 1 }));
    expect(all.HostedZones!.map((zone) => zone.Name)).toEqual(['zzz.example.com.']);
    expect(all.IsTruncated).toBe(true);
    expect(all.NextDNSName).toBe('prod.example.internal.');
  });

  it('applies a change: PENDING, then INSYNC (waiter), records listed', async () => {
    const { ChangeInfo } = await t.clients.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Comment: 'phz add',
          Changes: [
            cname(
              'CREATE',
              'cache-myapp.prod.example.internal',
              'myapp.abc123.cfg.use1.cache.amazonaws.com',
            ),
          ],
        },
      }),
    );
    expect(ChangeInfo).toMatchObject({ Status: 'PENDING', Comment: 'phz add' });
    await waitUntilResourceRecordSetsChanged(
      { client: t.clients.route53, ...FAST_WAITER },
      { Id: ChangeInfo!.Id! },
    );
    const change = await t.clients.route53.send(new GetChangeCommand({ Id: ChangeInfo!.Id! }));
    expect(change.ChangeInfo?.Status).toBe('INSYNC');
    const { ResourceRecordSets } = await t.clients.route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        StartRecordName: 'cache-myapp.prod.example.internal',
        StartRecordType: 'CNAME',
        MaxItems: 1,
      }),
    );
    expect(ResourceRecordSets).toEqual([
      {
        Name: 'cache-myapp.prod.example.internal.',
        Type: 'CNAME',
        TTL: 60,
        ResourceRecords: [{ Value: 'myapp.abc123.cfg.use1.cache.amazonaws.com' }],
      },
    ]);
  });

  it('rejects bad batches atomically with InvalidChangeBatch messages', async () => {
    const send = (changes: Change[]) =>
      t.clients.route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: { Changes: changes },
        }),
      );
    await expect(
      send([
        cname('CREATE', 'new-one.prod.example.internal', 'a.example.com'),
        cname('CREATE', 'cache-myapp.prod.example.internal', 'x'),
      ]),
    ).rejects.toMatchObject({
      name: 'InvalidChangeBatch',
      message:
        "[Tried to create resource record set [name='cache-myapp.prod.example.internal.', type='CNAME'] but it already exists]",
    });
    const names = (
      await t.clients.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))
    ).ResourceRecordSets!.map((set) => set.Name);
    expect(names).not.toContain('new-one.prod.example.internal.');

    await expect(
      send([
        {
          Action: 'CREATE',
          ResourceRecordSet: {
            Name: 'cache-myapp.prod.example.internal',
            Type: 'A',
            TTL: 60,
            ResourceRecords: [{ Value: '10.0.0.1' }],
          },
        },
      ]),
    ).rejects.toMatchObject({
      name: 'InvalidChangeBatch',
      message: expect.stringContaining('conflicting RRSet of type CNAME'),
    });
    await expect(send([cname('DELETE', 'ghost.prod.example.internal', 'x')])).rejects.toMatchObject(
      {
        name: 'InvalidChangeBatch',
        message:
          "[Tried to delete resource record set [name='ghost.prod.example.internal.', type='CNAME'] but it was not found]",
      },
    );
    await expect(send([cname('UPSERT', 'db.other.zone', 'x')])).rejects.toMatchObject({
      name: 'InvalidChangeBatch',
    });
  });

  it('upserts the SOA to lower the negative-caching TTL, and deletes records', async () => {
    const { ResourceRecordSets } = await t.clients.route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }),
    );
    const soa = ResourceRecordSets!.find((set) => set.Type === 'SOA')!;
    const fields = soa.ResourceRecords![0]!.Value!.split(' ');
    fields[6] = '60';
    await t.clients.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                ...soa,
                TTL: 60,
                ResourceRecords: [{ Value: fields.join(' ') }],
              },
            },
          ],
        },
      }),
    );
    await t.clients.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            cname(
              'DELETE',
              'cache-myapp.prod.example.internal',
              'myapp.abc123.cfg.use1.cache.amazonaws.com',
            ),
          ],
        },
      }),
    );
    const after = await t.clients.route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }),
    );
    expect(after.ResourceRecordSets!.map((set) => set.Type).sort()).toEqual(['NS', 'SOA']);
    expect(
      after.ResourceRecordSets!.find((set) => set.Type === 'SOA')!.ResourceRecords![0]!.Value,
    ).toMatch(/ 60$/);
  });
});
