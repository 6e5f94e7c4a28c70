import type { OpsdeckConfig } from '../../config/schema';
import { flag, option, text, word, type FormSpec } from './form-spec';

/**
 * `/restore-table` as a form (also what the "Restore a table to before this message" shortcut
 * opens): the database from the config, schema and table suggested from that database as typed,
 * the time, the mode with what each one does to production, and the two flags.
 */
const RESTORE_MODES = [
  {
    value: 'side',
    label: 'side (default)',
    description: 'restored rows go into a side table; production is not touched',
  },
  {
    value: 'merge',
    label: 'merge',
    description: 'then inserts the missing rows into production (second approval)',
  },
  {
    value: 'replace',
    label: 'replace',
    description: 'then swaps the restored table in; the old one is kept (second approval)',
  },
];

export function restoreTableForm(config: OpsdeckConfig): FormSpec {
  const databases = Object.keys(config.databases).sort();
  return {
    id: 'restore-table',
    command: '/restore-table',
    title: 'Restore a table',
    submit: 'Restore',
    fields: [
      {
        name: 'database',
        label: 'Database',
        kind: 'select',
        options: databases.map((name) => ({ label: name, value: name })),
        arguments: ['<database>'],
        concerns: [/\binstance \S+ has\b/, /\bRDS has no instance\b/],
      },
      {
        name: 'table',
        label: 'Schema and table',
        kind: 'suggest',
        hint: "Suggested from the chosen database's tables as you type (schema.table).",
        arguments: ['<table>'],
        concerns: [
          /\b(schema|table) \S+ does not exist\b/,
          /\bkey\b/,
          /\btriggers?\b/,
          /\bforeign keys?\b/,
        ],
      },
      {
        name: 'at',
        label: 'Restore to (time)',
        kind: 'text',
        hint: 'ISO-8601 (UTC unless it has an offset, like 2026-12-04T16:59:59Z), a relative time (15m ago) or a Slack message link.',
        arguments: ['--at', '<rest>'],
        concerns: [/\brestore window\b/],
      },
      {
        name: 'mode',
        label: 'Mode',
        kind: 'radio',
        options: RESTORE_MODES,
        arguments: ['--mode'],
      },
      {
        name: 'flags',
        label: 'Options',
        kind: 'flags',
        optional: true,
        options: [
          {
            value: 'keep-instance',
            label: 'keep the temporary instance',
            description: 'tagged and closed, for you to look at; you delete it',
          },
          {
            value: 'fire-triggers',
            label: 'fire INSERT triggers (merge only)',
            description: "the merge's INSERT runs the table's triggers once per row",
          },
        ],
        arguments: ['--keep-instance', '--fire-triggers'],
      },
    ],
    text(values) {
      return [
        word(text(values, 'database')),
        word(text(values, 'table')),
        ...option('at', text(values, 'at')),
        ...option('mode', text(values, 'mode')),
        ...flag(values, 'flags', 'keep-instance'),
        ...flag(values, 'flags', 'fire-triggers'),
      ].join(' ');
    },
  };
}
