import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, ErrorCode, OpsdeckError } from '../errors';
import { OpsdeckConfig } from './schema';

export const DEFAULT_CONFIG_FILE = 'opsdeck.yaml';

/** Sections of the console's config (devkit/dev-config.ts) that production refuses by name. */
const DEVELOPMENT_SECTIONS = ['sandbox', 'console'];

export interface LoadedConfig {
  config: OpsdeckConfig;
  /** The file the config came from, or null when none exists and defaults apply. */
  path: string | null;
}

/**
 * Finds, reads and validates the configuration once. `OPSDECK_CONFIG` names the file; without it
 * `opsdeck.yaml` in the working directory is used if present, else the defaults. A file that was
 * asked for explicitly must exist.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const { raw, path } = readConfigFile(env);
  return { config: validateConfig(raw, path ?? 'config'), path };
}

/**
 * The config file as plain data, before validation: the file `OPSDECK_CONFIG` names, else
 * `opsdeck.yaml` when it exists (`raw` is then `{}` and `path` null when it does not).
 */
export function readConfigFile(env: NodeJS.ProcessEnv = process.env): {
  raw: Record<string, unknown>;
  path: string | null;
} {
  const explicit = env.OPSDECK_CONFIG;
  const path = resolve(explicit ?? DEFAULT_CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (!explicit && (error as NodeJS.ErrnoException).code === 'ENOENT')
      return { raw: {}, path: null };
    throw new OpsdeckError(ErrorCode.ConfigNotFound, `cannot read config file ${path}`, {
      cause: error,
    });
  }
  return { raw: parseYaml(text, path), path };
}

/** Parses YAML text and validates it; errors name the file, the exact path and the reason. */
export function parseConfig(text: string, source = 'config'): OpsdeckConfig {
  return validateConfig(parseYaml(text, source), source);
}

function parseYaml(text: string, source: string): Record<string, unknown> {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    throw new ConfigError(`${source}: invalid YAML: ${first.message.split('\n')[0]}`);
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError(`${source}: the configuration must be a mapping of sections`);
  return raw as Record<string, unknown>;
}

/** Validates configuration data; errors name the source, the exact path and the reason. */
export function validateConfig(raw: unknown, source = 'config'): OpsdeckConfig {
  const result = OpsdeckConfig.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => formatIssue(issue, raw));
    throw new ConfigError(`${source}: invalid configuration\n  ${lines.join('\n  ')}`, {
      cause: result.error,
    });
  }
  return result.data;
}

/** `databases.billing.port: expected number, got "x"` */
export function formatIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
  switch (issue.code) {
    case 'invalid_type': {
      const actual = valueAt(raw, issue.path);
      const got = actual === undefined ? 'nothing' : JSON.stringify(actual);
      return `${where}: expected ${issue.expected}, got ${got}`;
    }
    case 'unrecognized_keys':
      return issue.keys
        .map((key) =>
          issue.path.length === 0 && DEVELOPMENT_SECTIONS.includes(key)
            ? `${key}: only console mode (npm run dev) reads this section; production config does not take it`
            : `${joinPath(issue.path, key)}: unknown setting`,
        )
        .join('\n  ');
    case 'invalid_value':
      return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(valueAt(raw, issue.path))}`;
    case 'invalid_key':
      // The key's own rule says what is wrong, not zod's generic "Invalid key in record".
      return `${where}: ${issue.issues[0]?.message ?? issue.message}`;
    default: {
      const actual = valueAt(raw, issue.path);
      // A rule that found a secret where it does not belong says so without repeating it.
      const secret = issue.code === 'custom' && issue.params?.secret === true;
      if (actual === undefined || secret) return `${where}: ${issue.message}`;
      return `${where}: ${issue.message}, got ${JSON.stringify(actual)}`;
    }
  }
}

function joinPath(path: PropertyKey[], key: string): string {
  return [...path.map(String), key].join('.');
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let node = raw;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}
