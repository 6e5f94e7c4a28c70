import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import pino from 'pino';
import { stringify } from 'yaml';
import { redisOptions } from '../../../src/app/redis-options';
import { createRuntime, type Runtime } from '../../../src/app/runtime';
import { parseConfig } from '../../../src/config/load-config';
import { readSecrets } from '../../../src/config/secrets';
import type { JobEnvelope } from '../../../src/runbook/job-envelope';
import {
  makeTestCertificates,
  startRedisServer,
  type TestRedisServer,
} from '../../helpers/redis-server';
import { localMysqlSection, TEST_QUEUE_KEY } from '../../helpers/services';

/**
 * opsdeck reaches a Redis that asks for a password (AUTH), for an ACL user's name and password,
 * and over TLS (`rediss://`, the server's certificate checked against a CA and its name against
 * the URL's host): real redis-servers of this test's own, configured by file.
 */

const logger = pino({ level: 'silent' });
const ACL_PASSWORD = randomBytes(18).toString('base64url');
const DEFAULT_PASSWORD = randomBytes(18).toString('base64url');
const PREFIX = 'opsdeck-acl';

function envelope(): JobEnvelope {
  const jobId = `ping-${randomBytes(5).toString('hex')}`;
  return {
    meta: {
      jobId,
      command: '/ops ping',
      runbook: 'ping',
      summary: 'self-test',
      actor: { id: 'U1', name: 'alice' },
      channel: { id: 'C1', name: 'ops' },
      requestedAt: new Date().toISOString(),
      correlationId: 'c1',
    },
    input: { ticks: 1, tickMs: 0 },
  };
}

function runtimeFor(redis: Record<string, unknown>, env: Record<string, string>): Runtime {
  const config = parseConfig(
    stringify({
      redis: { prefix: PREFIX, ...redis },
      mysql: localMysqlSection('unused'),
    }),
  );
  const fullEnv = {
    SLACK_BOT_TOKEN: 'xoxb-redis-0000000000-1111111111-abcdef',
    SLACK_SIGNING_SECRET: 'redis-signing-secret-0123456789',
    OPSDECK_QUEUE_KEY: TEST_QUEUE_KEY,
    ...env,
  };
  return createRuntime(config, readSecrets(config, fullEnv), logger, fullEnv);
}

/** Queues a signed job through the runtime and reads it back: the whole path works. */
async function roundTrip(runtime: Runtime): Promise<void> {
  const { job, created } = await runtime.jobs.enqueue(envelope());
  expect(created).toBe(true);
  expect((await runtime.jobs.get(job.id!))?.data.meta.jobId).toBe(job.id);
}

/** A single connection attempt with the product's options; resolves with its error, if any. */
async function connectOnce(url: string, options: ReturnType<typeof redisOptions>) {
  const client = new IORedis(url, {
    ...options,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // What went wrong arrives as an 'error' event; connect() only says the connection closed.
  const errors: string[] = [];
  client.on('error', (error: Error) => errors.push(error.message));
  try {
    await client.connect();
    return { ok: true as const, whoami: await client.call('ACL', 'WHOAMI') };
  } catch (error) {
    return { ok: false as const, message: [...errors, (error as Error).message].join('; ') };
  } finally {
    client.disconnect();
  }
}

describe('Redis AUTH and ACL users', () => {
  let server: TestRedisServer;

  beforeAll(async () => {
    server = await startRedisServer([
      `requirepass ${DEFAULT_PASSWORD}`,
      // An ACL user limited to opsdeck's key prefix and channels.
      `user opsdeck on >${ACL_PASSWORD} ~${PREFIX}:* &${PREFIX}:* +@all`,
    ]);
  });
  afterAll(() => server.stop());

  const url = () => `redis://127.0.0.1:${server.port}`;

  it('connects with the AUTH password from the environment (redis.passwordEnv)', async () => {
    const runtime = runtimeFor({ url: url(), passwordEnv: 'R_PW' }, { R_PW: DEFAULT_PASSWORD });
    try {
      await roundTrip(runtime);
      expect(await runtime.redis.call('ACL', 'WHOAMI')).toBe('default');
    } finally {
      await runtime.close();
    }
  });

  it('connects as an ACL user (redis.usernameEnv) and queues work under its key pattern', async () => {
    const runtime = runtimeFor(
      { url: url(), usernameEnv: 'R_USER', passwordEnv: 'R_PW' },
      { R_USER: 'opsdeck', R_PW: ACL_PASSWORD },
    );
    try {
      await roundTrip(runtime);
      expect(await runtime.redis.call('ACL', 'WHOAMI')).toBe('opsdeck');
      // The ACL is really in force: a key outside the prefix is refused to this user.
      await expect(runtime.redis.set('elsewhere', '1')).rejects.toThrow(/NOPERM/);
    } finally {
      await runtime.close();
    }
  });

  it('refuses to connect with a wrong password or none; the password is not in the error', async () => {
    const wrong = await connectOnce(
      url(),
      redisOptions(parseConfig('').redis, { redisUsername: 'opsdeck', redisPassword: 'wrong-pw' }),
    );
    expect(wrong).toMatchObject({ ok: false, message: expect.stringMatching(/WRONGPASS/) });
    expect(JSON.stringify(wrong)).not.toContain(ACL_PASSWORD);
    const none = await connectOnce(url(), redisOptions(parseConfig('').redis, {}));
    // Connected, but every command is refused until AUTH.
    expect(none).toMatchObject({ ok: false, message: expect.stringMatching(/NOAUTH/) });
  });

  it('a missing ACL user variable stops the process at start, naming it', () => {
    expect(() => runtimeFor({ url: url(), usernameEnv: 'R_USER' }, {})).toThrow(
      /environment variable R_USER is not set \(redis.usernameEnv\)/,
    );
  });
});

describe('Redis over TLS (rediss://)', () => {
  let server: TestRedisServer;
  let certs: string;

  beforeAll(async () => {
    certs = mkdtempSync(join(tmpdir(), 'opsdeck-redis-tls-'));
    // The certificate names localhost only: connecting by IP address must fail its name check.
    await makeTestCertificates(certs, 'DNS:localhost');
    server = await startRedisServer(
      [
        `tls-cert-file ${join(certs, 'server.pem')}`,
        `tls-key-file ${join(certs, 'server.key')}`,
        `tls-ca-cert-file ${join(certs, 'ca.pem')}`,
        'tls-auth-clients no',
        `requirepass ${DEFAULT_PASSWORD}`,
      ],
      { tls: true },
    );
  });
  afterAll(() => server.stop());

  const tlsConfig = (host: string, caFile?: string) =>
    parseConfig(
      stringify({
        redis: {
          url: `rediss://${host}:${server.port}`,
          ...(caFile !== undefined && { tls: { caFile } }),
        },
      }),
    ).redis;

  it('queues work over TLS with the server checked against the configured CA', async () => {
    const runtime = runtimeFor(
      {
        url: `rediss://localhost:${server.port}`,
        passwordEnv: 'R_PW',
        tls: { caFile: join(certs, 'ca.pem') },
      },
      { R_PW: DEFAULT_PASSWORD },
    );
    try {
      await roundTrip(runtime);
    } finally {
      await runtime.close();
    }
  });

  it('refuses a server whose certificate no trusted CA signed (system CAs, or another CA)', async () => {
    const secrets = { redisPassword: DEFAULT_PASSWORD };
    expect(
      await connectOnce(
        `rediss://localhost:${server.port}`,
        redisOptions(tlsConfig('localhost'), secrets),
      ),
    ).toMatchObject({
      ok: false,
      message: expect.stringMatching(/self.signed|unable to verify|local issuer/i),
    });
    const other = redisOptions(tlsConfig('localhost', join(certs, 'other-ca.pem')), secrets);
    expect(await connectOnce(`rediss://localhost:${server.port}`, other)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/self.signed|unable to verify|local issuer/i),
    });
  });

  it("refuses a server whose certificate does not name the URL's host", async () => {
    const options = redisOptions(tlsConfig('127.0.0.1', join(certs, 'ca.pem')), {
      redisPassword: DEFAULT_PASSWORD,
    });
    expect(await connectOnce(`rediss://127.0.0.1:${server.port}`, options)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/does not match certificate|altnames/i),
    });
  });

  it('a plain redis:// connection gets nothing from the TLS port', async () => {
    const result = await connectOnce(
      `redis://localhost:${server.port}`,
      redisOptions(parseConfig('').redis, { redisPassword: DEFAULT_PASSWORD }),
    );
    expect(result.ok).toBe(false);
  });

  it('refuses redis.tls with a redis:// url (it would not be encrypted), when the config is read', () => {
    expect(() =>
      parseConfig(stringify({ redis: { url: 'redis://localhost:6379', tls: { caFile: 'x' } } })),
    ).toThrow(
      /redis\.tls: only with a rediss:\/\/ url \(TLS\); without it the connection would not be encrypted/,
    );
  });
});
