import { ConfigError, ErrorCode, OpsdeckError } from '../errors';
import { registerSecret } from '../log/redact';
import type { WorkSigner } from '../util/work-signature';
import { readWorkSigner } from './queue-signing-key';
import type { OpsdeckConfig } from './schema';

/**
 * The secrets a process needs, read once at startup from the environment variables the config
 * names. Each one is registered with the redaction layer, so it is masked wherever it might
 * appear (logs, Slack, audit).
 */
export interface Secrets {
  signingSecret?: string;
  botToken?: string;
  appToken?: string;
  mysqlPassword?: string;
  redisPassword?: string;
  /** The sentinels' own password (`redis.sentinelPasswordEnv`). */
  redisSentinelPassword?: string;
  /** The ACL user (`redis.usernameEnv`); not a secret, so not masked, but from the environment too. */
  redisUsername?: string;
  /** Signs and checks queued work with the key from `queue.signingKeyEnv` (queue-signing-key.ts). */
  workSigner: WorkSigner;
  dashboard?: { user: string; password: string; admin?: { user: string; password: string } };
  /** The password of each configured database's account, by database name (`databases`). */
  databasePasswords: Readonly<Record<string, string>>;
  /** Each configured replica's admin password and its replication user's password (`replicas`). */
  replicaPasswords: Readonly<Record<string, ReplicaPasswords>>;
}

export interface ReplicaPasswords {
  admin: string;
  replication: string;
}

export function readSecret(env: NodeJS.ProcessEnv, name: string, why: string): string {
  const value = env[name];
  if (!value) {
    throw new OpsdeckError(
      ErrorCode.SecretMissing,
      `environment variable ${name} is not set (${why})`,
    );
  }
  registerSecret(value);
  return value;
}

function requiredEnv(env: NodeJS.ProcessEnv, name: string, why: string): string {
  const value = env[name];
  if (!value) {
    throw new OpsdeckError(
      ErrorCode.SecretMissing,
      `environment variable ${name} is not set (${why})`,
    );
  }
  return value;
}

function optionalSecret(
  env: NodeJS.ProcessEnv,
  name: string | undefined,
  why: string,
): string | undefined {
  return name ? readSecret(env, name, why) : undefined;
}

/** Every secret the config names; missing ones are an error that names the variable. */
export function readSecrets(config: OpsdeckConfig, env: NodeJS.ProcessEnv = process.env): Secrets {
  const { slack } = config;
  const secrets: Secrets = {
    mysqlPassword: optionalSecret(env, config.mysql.passwordEnv, 'mysql.passwordEnv'),
    redisPassword: optionalSecret(env, config.redis.passwordEnv, 'redis.passwordEnv'),
    redisSentinelPassword: optionalSecret(
      env,
      config.redis.sentinelPasswordEnv,
      'redis.sentinelPasswordEnv',
    ),
    ...(config.redis.usernameEnv !== undefined && {
      redisUsername: requiredEnv(env, config.redis.usernameEnv, 'redis.usernameEnv'),
    }),
    workSigner: readWorkSigner(config.queue, env),
    databasePasswords: Object.fromEntries(
      Object.entries(config.databases).map(([name, target]) => [
        name,
        readSecret(env, target.passwordEnv, `databases.${name}.passwordEnv`),
      ]),
    ),
    replicaPasswords: Object.fromEntries(
      Object.entries(config.replicas).map(([name, replica]) => [
        name,
        {
          admin: readSecret(env, replica.passwordEnv, `replicas.${name}.passwordEnv`),
          replication: readSecret(
            env,
            replica.replicationPasswordEnv,
            `replicas.${name}.replicationPasswordEnv`,
          ),
        },
      ]),
    ),
  };
  secrets.botToken = readSecret(
    env,
    slack.botTokenEnv,
    'slack.botTokenEnv: the bot token, xoxb-...',
  );
  if (slack.mode === 'http') {
    secrets.signingSecret = readSecret(env, slack.signingSecretEnv, 'slack.signingSecretEnv');
  } else {
    secrets.appToken = readSecret(
      env,
      slack.appTokenEnv,
      'slack.appTokenEnv: the app-level token, xapp-...',
    );
  }
  // The AWS keys are read (and checked) by the SDK clients (src/aws/clients.ts); registered here
  // so that every process masks them from its start.
  for (const name of [config.aws.accessKeyIdEnv, config.aws.secretAccessKeyEnv]) {
    if (name !== undefined) registerSecret(env[name]);
  }
  const { dashboard } = config.http;
  if (dashboard) {
    secrets.dashboard = {
      user: readSecret(env, dashboard.userEnv, 'http.dashboard.userEnv'),
      password: readSecret(env, dashboard.passwordEnv, 'http.dashboard.passwordEnv'),
    };
    if (dashboard.admin) {
      const admin = {
        user: readSecret(env, dashboard.admin.userEnv, 'http.dashboard.admin.userEnv'),
        password: readSecret(env, dashboard.admin.passwordEnv, 'http.dashboard.admin.passwordEnv'),
      };
      if (admin.password === secrets.dashboard.password) {
        throw new ConfigError(
          "http.dashboard.admin: the admin credential must be a separate one (its password is the read-only dashboard's)",
        );
      }
      secrets.dashboard.admin = admin;
    }
  }
  return secrets;
}
