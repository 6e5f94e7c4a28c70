import type { OpsdeckConfig } from '../../config/schema';
import { flag, text, word, type FormSpec } from './form-spec';

/**
 * `/deploy <app> <env> [<ref>] [--queue]` as a form; its Preview is the `--dry-run`. Choosing an
 * app narrows the environments to that app's.
 */
export function deployForm(config: OpsdeckConfig): FormSpec {
  const apps = config.deploy?.apps ?? {};
  const names = Object.keys(apps).sort();
  const envs = [...new Set(names.flatMap((app) => Object.keys(apps[app]!.environments)))].sort();
  return {
    id: 'deploy',
    command: '/deploy',
    title: 'Deploy',
    submit: 'Deploy',
    fields: [
      {
        name: 'app',
        label: 'App',
        kind: 'select',
        options: names.map((name) => ({ label: name, value: name })),
        dispatch: true,
        arguments: ['<app>'],
        concerns: [/\bno app\b/],
      },
      {
        name: 'env',
        label: 'Environment',
        kind: 'select',
        options: envs.map((name) => ({ label: name, value: name })),
        arguments: ['<env>'],
        concerns: [/\bno environment\b/],
      },
      {
        name: 'ref',
        label: 'Ref (version)',
        kind: 'text',
        optional: true,
        placeholder: "the environment's defaultRef",
        arguments: ['<ref>'],
        concerns: [/\bsucceeded in\b/],
      },
      {
        name: 'flags',
        label: 'Options',
        kind: 'flags',
        optional: true,
        options: [
          {
            value: 'queue',
            label: 'wait in line',
            description: 'if another deploy holds the app/env, run after it',
          },
        ],
        arguments: ['--queue'],
      },
    ],
    optionsFor(field, values) {
      const app = values.app;
      if (field !== 'env' || typeof app !== 'string' || !Object.hasOwn(apps, app)) return undefined;
      return Object.keys(apps[app]!.environments)
        .sort()
        .map((name) => ({ label: name, value: name }));
    },
    text(values, preview) {
      const ref = text(values, 'ref');
      return [
        word(text(values, 'app')),
        word(text(values, 'env')),
        ...(ref ? [word(ref)] : []),
        ...flag(values, 'flags', 'queue'),
        ...(preview ? ['--dry-run'] : []),
      ].join(' ');
    },
  };
}
