import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, ErrorCode, OpsdeckError } from '../errors';
import { OpsdeckConfig } from './schema';

export const DEFAULT_CONFIG_FILE = 'opsdeck.yaml';

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
  const explicit = env.OPSDECK_CONFIG;
  const path = resolve(explicit ?? DEFAULT_CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (!explicit && (error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { config: OpsdeckConfig.parse({}), path: null };
    }
    throw new OpsdeckError(ErrorCode.ConfigNotFound, `cannot read config file ${path}`, {
      cause: error,
    });
  }
  return { config: parseConfig(text, path), path };
}

/** Parses YAML text and validates it; errors name the file, the exact path and the reason. */
export function parseConfig(text: string, source = 'config'): OpsdeckConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    throw new ConfigError(`${source}: invalid YAML: ${first.message.split('\n')[0]}`);
  }
  const raw: unknown = doc.toJS() ?? {};
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
      return issue.keys.map((key) => `${joinPath(issue.path, key)}: unknown setting`).join('\n  ');
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
