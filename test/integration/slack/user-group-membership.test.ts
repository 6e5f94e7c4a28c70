import { LogLevel, WebClient } from '@slack/web-api';
import type IORedis from 'ioredis';
import pino from 'pino';
import { startFakeSlackApi, type FakeSlackApi } from '../../../devkit/slack/fake-slack-api';
import { UserGroupMembership, describeUnresolved } from '../../../src/slack/user-group-membership';
import { waitFor } from '../../helpers/e2e-stack';
import { connectRedis, deleteRedisPrefix, uniqueName } from '../../helpers/services';

/** The user-group resolver against the fake Slack Web API and the real Redis. */

const logger = pino({ level: 'silent' });
let slack: FakeSlackApi;
let client: WebClient;
let redis: IORedis;
let prefix: string;

// Time allowed to Slack in the tests that are not about timeouts: generous, because the first call
// of a cold process on a loaded CI machine can take over a second.
const ANSWER_BUDGET_MS = 10_000;

const listCalls = () => slack.calls.filter((c) => c.method === 'usergroups.users.list');
const membership = (cacheSeconds = 300) =>
  new UserGroupMembership(client, redis, prefix, { cacheSeconds, logger });

beforeAll(() => {
  redis = connectRedis();
});
afterAll(() => redis.disconnect());

beforeEach(async () => {
  prefix = uniqueName('ugroups');
  slack = await startFakeSlackApi({
    usergroups: { S0DBA: ['U0ANN', 'U0BEN'], S0ONCALL: ['U0BEN'], S0EMPTY: [] },
  });
  client = new WebClient('xoxb-test', {
    slackApiUrl: slack.url,
    retryConfig: { retries: 0 },
    logLevel: LogLevel.ERROR,
  });
});
afterEach(async () => {
  await slack.stop();
  await deleteRedisPrefix(redis, prefix);
});

it('names the groups, among those asked about, that the user is in', async () => {
  const groups = membership();
  expect(await groups.lookUp('U0BEN', ['S0DBA', 'S0ONCALL', 'S0EMPTY'], ANSWER_BUDGET_MS)).toEqual({
    memberOf: ['S0DBA', 'S0ONCALL'],
    unresolved: [],
  });
  expect(await groups.lookUp('U0ANN', ['S0ONCALL'], ANSWER_BUDGET_MS)).toEqual({
    memberOf: [],
    unresolved: [],
  });
  expect(await groups.lookUp('U0ANN', [], ANSWER_BUDGET_MS)).toEqual({
    memberOf: [],
    unresolved: [],
  });
  expect(listCalls().map((c) => c.args.usergroup)).toEqual(['S0DBA', 'S0ONCALL', 'S0EMPTY']);
});

it('keeps members in Redis for cacheSeconds, shared by every process, one call per group', async () => {
  const [first, second] = [membership(120), membership(120)];
  // Concurrent misses in one process share one call.
  await Promise.all([
    first.lookUp('U0ANN', ['S0DBA'], ANSWER_BUDGET_MS),
    first.lookUp('U0BEN', ['S0DBA'], ANSWER_BUDGET_MS),
  ]);
  expect(listCalls()).toHaveLength(1);
  const ttl = await redis.ttl(`${prefix}:usergroup:S0DBA:members`);
  expect(ttl).toBeGreaterThan(100);
  expect(ttl).toBeLessThanOrEqual(120);

  // Slack changes; another process still answers from the cache, without a call.
  slack.setUsergroup('S0DBA', ['U0CAT']);
  expect((await second.lookUp('U0ANN', ['S0DBA'], ANSWER_BUDGET_MS)).memberOf).toEqual(['S0DBA']);
  expect(listCalls()).toHaveLength(1);

  // Once the entry expires, Slack is asked again.
  await redis.del(`${prefix}:usergroup:S0DBA:members`);
  expect((await second.lookUp('U0ANN', ['S0DBA'], ANSWER_BUDGET_MS)).memberOf).toEqual([]);
  expect((await second.lookUp('U0CAT', ['S0DBA'], ANSWER_BUDGET_MS)).memberOf).toEqual(['S0DBA']);
  expect(listCalls()).toHaveLength(2);
});

it('gives up on a slow Slack within the time given (fail closed), and the late answer fills the cache', async () => {
  slack.script('usergroups.users.list', [{ delayMs: 3000 }]);
  const groups = membership();
  const started = performance.now();
  const lookup = await groups.lookUp('U0ANN', ['S0DBA'], 150);
  expect(performance.now() - started).toBeLessThan(2500);
  expect(lookup).toEqual({
    memberOf: [],
    unresolved: [{ id: 'S0DBA', reason: 'timed out after 150 ms' }],
  });
  expect(describeUnresolved(lookup)).toBe(
    'Slack could not tell in time whether you are in user group S0DBA (timed out after 150 ms), so grants through user groups were not applied (grants to you by user id were); trying again in a moment may work.',
  );
  await waitFor(
    () => redis.exists(`${prefix}:usergroup:S0DBA:members`),
    20_000,
    'the late answer to be cached',
  );
  expect(await groups.lookUp('U0ANN', ['S0DBA'], 150)).toEqual({
    memberOf: ['S0DBA'],
    unresolved: [],
  });
  expect(listCalls()).toHaveLength(1);
});

it('a Slack error leaves the group unresolved and uncached; an unknown group has no members', async () => {
  slack.script('usergroups.users.list', [{ error: 'ratelimited' }]);
  const groups = membership();
  expect(await groups.lookUp('U0ANN', ['S0DBA', 'S0GONE'], ANSWER_BUDGET_MS)).toEqual({
    memberOf: [],
    unresolved: [{ id: 'S0DBA', reason: 'Slack: ratelimited' }],
  });
  expect(await redis.exists(`${prefix}:usergroup:S0DBA:members`)).toBe(0);
  expect(await redis.get(`${prefix}:usergroup:S0GONE:members`)).toBe('[]');
  expect((await groups.lookUp('U0ANN', ['S0DBA'], ANSWER_BUDGET_MS)).memberOf).toEqual(['S0DBA']);
  expect(describeUnresolved({ memberOf: ['S0DBA'], unresolved: [] })).toBe('');
});
