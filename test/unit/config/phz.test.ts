import { OpsdeckConfig } from '../../../src/config/schema';
import { configuredZones, zoneFor } from '../../../src/config/phz';

describe('the phz config section', () => {
  const config = OpsdeckConfig.parse({
    phz: {
      defaultZone: 'Prod.Example.Internal.',
      channelZones: { '#svc-team': 'svc.example.internal', C0BILL: '/hostedzone/Z0123ABC' },
      zones: ['extra.internal'],
    },
  }).phz;

  it('defaults to nothing configured', () => {
    expect(OpsdeckConfig.parse({}).phz).toMatchObject({
      zones: [],
      channelZones: {},
      maxWaitSeconds: 300,
    });
  });

  it('normalizes names and ids, and lists every configured zone once', () => {
    expect(configuredZones(config)).toEqual([
      'prod.example.internal',
      'svc.example.internal',
      'Z0123ABC',
      'extra.internal',
    ]);
  });

  it('picks --zone, else the channel default (by id or #name), else the global default', () => {
    expect(zoneFor(config, 'extra.internal.', { id: 'C1', name: 'x' })).toBe('extra.internal');
    expect(zoneFor(config, undefined, { id: 'C0BILL', name: 'billing' })).toBe('Z0123ABC');
    expect(zoneFor(config, undefined, { id: 'C2', name: 'svc-team' })).toBe('svc.example.internal');
    expect(zoneFor(config, undefined, { id: 'C3', name: 'random' })).toBe('prod.example.internal');
    expect(
      zoneFor(OpsdeckConfig.parse({}).phz, undefined, { id: 'C3', name: 'r' }),
    ).toBeUndefined();
  });

  it('refuses what is neither a zone name nor an id', () => {
    expect(() => OpsdeckConfig.parse({ phz: { defaultZone: 'not a zone' } })).toThrow(
      'must be a hosted zone id (Z...) or a zone name',
    );
  });
});
