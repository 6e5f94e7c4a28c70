import { configuredZones } from '../../config/phz';
import type { OpsdeckConfig } from '../../config/schema';
import { flag, option, text, word, type FormSpec } from './form-spec';

/** `/phz add <name> <value> [--type] [--ttl] [--zone] [--replace]` as a form. */
export function phzAddForm(config: OpsdeckConfig): FormSpec {
  const zones = configuredZones(config.phz);
  return {
    id: 'phz-add',
    command: '/phz',
    title: 'Add a DNS record',
    submit: 'Add',
    fields: [
      {
        name: 'name',
        label: 'Name',
        kind: 'text',
        placeholder: 'cache-myapp',
        arguments: ['<name>'],
      },
      {
        name: 'value',
        label: 'Value',
        kind: 'text',
        placeholder: 'my-cache.abc123.cfg.use1.cache.amazonaws.com',
        arguments: ['<value>'],
      },
      {
        name: 'type',
        label: 'Type',
        kind: 'select',
        optional: true,
        hint: 'Left empty: A or AAAA for an address, else CNAME.',
        options: ['CNAME', 'A', 'AAAA', 'TXT', 'SRV'].map((t) => ({ label: t, value: t })),
        arguments: ['--type'],
      },
      {
        name: 'ttl',
        label: 'TTL (seconds)',
        kind: 'text',
        optional: true,
        placeholder: '60',
        arguments: ['--ttl'],
      },
      {
        name: 'zone',
        label: 'Zone',
        kind: 'select',
        optional: true,
        hint: "Left empty: the channel's default zone.",
        options: zones.map((zone) => ({ label: zone, value: zone })),
        arguments: ['--zone'],
        concerns: [/\bzone\b/],
      },
      {
        name: 'flags',
        label: 'Options',
        kind: 'flags',
        optional: true,
        options: [
          {
            value: 'replace',
            label: 'replace a different record',
            description: 'UPSERT over what exists under that name',
          },
        ],
        arguments: ['--replace'],
        concerns: [/--replace\b/],
      },
    ],
    text(values) {
      return [
        'add',
        word(text(values, 'name')),
        word(text(values, 'value')),
        ...option('type', text(values, 'type')),
        ...option('ttl', text(values, 'ttl')),
        ...option('zone', text(values, 'zone')),
        ...flag(values, 'flags', 'replace'),
      ].join(' ');
    },
  };
}
