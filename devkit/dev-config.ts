import { join } from 'node:path';
import { z } from 'zod';
import { readConfigFile, validateConfig } from '../src/config/load-config';
import type { OpsdeckConfig } from '../src/config/schema';
import { SandboxConfig } from './sandbox/config';

/**
 * Console mode's configuration: the product's own config plus two sections only the development
 * harness reads (production config refuses them): `sandbox` (the local AWS) and `console` (the
 * console users and channel).
 */

/** Used when neither OPSDECK_CONFIG nor ./opsdeck.yaml exists: console users and their access. */
export const CONSOLE_CONFIG = join(__dirname, '../config/console.yaml');

export const ConsoleConfig = z.strictObject({
  userId: z.string().default('U0CONSOLE'),
  userName: z.string().default('console-user'),
  channelId: z.string().default('C0CONSOLE'),
  channelName: z.string().default('console'),
  /** More users the console can act as (`as <name>`), by Slack user id: for approvals. */
  otherUsers: z.record(z.string(), z.string()).default({}),
});
export type ConsoleConfig = z.infer<typeof ConsoleConfig>;

const DevSections = z.object({
  sandbox: SandboxConfig.prefault({}),
  console: ConsoleConfig.prefault({}),
});

export interface DevConfig {
  config: OpsdeckConfig;
  sandbox: SandboxConfig;
  console: ConsoleConfig;
  /** The file it came from, or null (defaults). */
  path: string | null;
}

/** Reads the config file like the product does, taking the development sections out first. */
export function loadDevConfig(env: NodeJS.ProcessEnv = process.env): DevConfig {
  const { raw, path } = readConfigFile(env);
  const { sandbox, console, ...product } = raw;
  const source = path ?? 'config';
  const dev = DevSections.safeParse({ sandbox, console });
  if (!dev.success) {
    const issue = dev.error.issues[0]!;
    throw new Error(`${source}: ${issue.path.map(String).join('.')}: ${issue.message}`);
  }
  return { config: validateConfig(product, source), ...dev.data, path };
}
