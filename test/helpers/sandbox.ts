import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import type { DBInstance } from '@aws-sdk/client-rds';
import { createAwsClients, type AwsClients } from '../../src/aws/clients';
import type { SandboxConfig } from '../../src/sandbox/config';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/sandbox';

export const MASTER = { user: 'admin', password: 'sandbox-secret-1' };

/** Waiter settings for the sandbox's short transitions (the SDK default polls every 30 s). */
export const FAST_WAITER = { minDelay: 1, maxDelay: 1, maxWaitTime: 90 };

export interface TestSandbox {
  sandbox: RunningSandbox;
  clients: AwsClients;
  dataDir: string;
  /** Stops the sandbox (every mariadbd it runs) and removes its data dir. */
  dispose(): Promise<void>;
}

/** A sandbox with its own temporary data dir and a free port, and SDK clients aimed at it. */
export async function startTestSandbox(
  overrides: Partial<SandboxConfig> = {},
): Promise<TestSandbox> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'opsdeck-sbx-'));
  const sandbox = await startSandbox({
    port: 0,
    createDelayMs: 200,
    backupDelayMs: 200,
    deleteDelayMs: 200,
    route53SyncDelayMs: 500,
    restorableLagMs: 1000,
    ...overrides,
    dataDir,
  });
  const clients = sdkClients(sandbox.url);
  return {
    sandbox,
    clients,
    dataDir,
    async dispose() {
      await sandbox.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function sdkClients(url: string): AwsClients {
  return createAwsClients(
    {
      region: 'us-east-1',
      endpoint: url,
      accessKeyIdEnv: 'SBX_KEY',
      secretAccessKeyEnv: 'SBX_SECRET',
    },
    { SBX_KEY: 'AKIASANDBOX', SBX_SECRET: 'not-checked' },
  );
}

/** A connection as the master user to an instance's endpoint, as the bot would open it. */
export function connectTo(instance: DBInstance, database?: string): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: instance.Endpoint!.Address!,
    port: instance.Endpoint!.Port!,
    user: MASTER.user,
    password: MASTER.password,
    ...(database ? { database } : {}),
  });
}
