import type IORedis from 'ioredis';
import { normaliseReplicaStatus } from '../../../src/mysql/replica-status';
import { parseServerFlavor } from '../../../src/mysql/server-flavor';
import type { MessageSink } from '../../../src/notify/message-sink';
import type { OutboxMessage } from '../../../src/notify/outbox-message';
import { IncidentStore, MuteStore } from '../../../src/replicas/incident-store';
import { evaluateReplicaHealth } from '../../../src/replicas/replica-health';
import type { ReplicaObservation } from '../../../src/replicas/replica-observation';
import { relayReplicaIncidents } from '../../../src/replicas/relay-replica-incidents';
import { MYSQL_8_4 } from '../../fixtures/mysql/documented-output';
import { connectRedis, deleteRedisPrefix, uniqueName } from '../../helpers/services';

const T0 = Date.UTC(2026, 11, 4, 12, 0, 0);

function observation(row: Record<string, unknown>, at: number): ReplicaObservation {
  return {
    replica: 'onprem',
    source: 'billing',
    at,
    server: {
      flavor: parseServerFlavor(MYSQL_8_4.version),
      status: normaliseReplicaStatus(row),
      readOnly: true,
      superReadOnly: true,
    },
    binlogs: {
      instance: 'production',
      retentionHours: 168,
      retentionKnown: true,
      binlogs: [{ name: 'master-bin.000001', size: 927 }],
      closedAt: {},
    },
  };
}

const RUNNING = MYSQL_8_4.replicaStatus;
const IO_STOPPED = { ...RUNNING, Replica_IO_Running: 'No' };
const GONE = {
  ...RUNNING,
  Replica_IO_Running: 'No',
  Last_IO_Errno: 1236,
  Last_IO_Error:
    "Got fatal error 1236 from source when reading data from binary log: 'Could not find first log file name in binary log index file' <!channel>",
  Last_IO_Error_Timestamp: '261204 11:59:00',
};

describe('replica incidents: one thread each, never a repeat (real Redis)', () => {
  let prefix: string;
  const connections: IORedis[] = [];
  const posted: { thread: string; message: OutboxMessage }[] = [];
  /** The outbox's contract (MessageSink): one root per thread, a second one dropped. */
  const sink: MessageSink = {
    enqueue: (thread, message) => {
      const rooted = posted.some((p) => p.thread === thread && p.message.kind === 'root');
      if (!(message.kind === 'root' && rooted)) posted.push({ thread, message });
      return Promise.resolve();
    },
  };
  /** One worker process's view: its own connection and store. */
  function worker() {
    const redis = connectRedis();
    connections.push(redis);
    return { store: new IncidentStore(redis, prefix), sink, channel: 'C0ALERT' };
  }
  const relay = (deps: ReturnType<typeof worker>, row: Record<string, unknown>, at: number) =>
    relayReplicaIncidents(
      evaluateReplicaHealth(observation(row, at), { lagSeconds: 300, marginHours: 24 }),
      deps,
    );

  beforeEach(() => {
    prefix = uniqueName('rw');
    posted.length = 0;
  });
  afterAll(async () => {
    await deleteRedisPrefix(connections[0]!, 'rw');
    for (const redis of connections) redis.disconnect();
  });

  it('opens once across polls and workers, updates on a change of state, edits the root on recovery', async () => {
    const a = worker();
    const b = worker();
    expect(await relay(a, RUNNING, T0)).toEqual({ opened: 0, updated: 0, closed: 0 });
    // Two workers check the same stopped replica at once, and again at the next polls.
    await Promise.all([relay(a, IO_STOPPED, T0 + 60_000), relay(b, IO_STOPPED, T0 + 60_000)]);
    await relay(b, IO_STOPPED, T0 + 120_000);
    // A worker restarted in between: a new connection, the same Redis.
    await relay(worker(), IO_STOPPED, T0 + 180_000);
    expect(posted.map((p) => p.message.kind)).toEqual(['root']);
    const thread = posted[0]!.thread;
    expect(thread).toMatch(/^replica:onprem:replication:/);
    expect(posted[0]!.message.text.text).toContain(
      ':red_circle: *Replica watch*: onprem: replication stopped (IO thread No, SQL thread Yes)',
    );
    expect(posted[0]!.message.text.text).toContain('START REPLICA');

    // The same incident turns into error 1236: an update in its thread, the root edited.
    await Promise.all([relay(a, GONE, T0 + 240_000), relay(b, GONE, T0 + 240_000)]);
    expect(posted.slice(1).map((p) => [p.thread, p.message.kind])).toEqual([
      [thread, 'reply'],
      [thread, 'update-root'],
    ]);
    const update = posted[1]!.message.text.text;
    expect(update).toContain('needs a reseed');
    expect(update).toContain('seed it again: `/seed-slave billing onprem`');
    // The server's text is escaped: it cannot mention the channel.
    expect(update).not.toContain('<!channel>');
    expect(update).toContain('&lt;!channel&gt;');

    // Recovery, seen by both workers: one reply, one edit, and nothing after.
    await Promise.all([relay(a, RUNNING, T0 + 300_000), relay(b, RUNNING, T0 + 300_000)]);
    await relay(a, RUNNING, T0 + 360_000);
    expect(posted.slice(3).map((p) => [p.thread, p.message.kind])).toEqual([
      [thread, 'reply'],
      [thread, 'update-root'],
    ]);
    expect(posted[4]!.message.text.text).toMatch(
      /^:white_check_mark: \*Replica watch\*: recovered after 4m 0s .*error 1236/,
    );

    // A new outage is a new incident: a new thread.
    await relay(a, IO_STOPPED, T0 + 420_000);
    expect(posted).toHaveLength(6);
    expect(posted[5]!.message.kind).toBe('root');
    expect(posted[5]!.thread).not.toBe(thread);
  });

  it('a worker that dies between claiming an opening and queueing its root: the next check queues it, once', async () => {
    const a = worker();
    // The claim as the dead worker took it: the incident is open, its root never queued.
    const health = evaluateReplicaHealth(observation(IO_STOPPED, T0), {
      lagSeconds: 300,
      marginHours: 24,
    });
    const incident = health.incidents[0]!;
    const claimed = await a.store.settle(
      'onprem',
      incident.family,
      { active: true, signature: incident.signature, title: incident.title },
      T0,
    );
    expect(claimed.kind).toBe('open');
    const { id } = claimed as { id: string };
    expect(posted).toEqual([]);
    // The next check, by another worker: the root, with the time the incident opened.
    const b = worker();
    expect(await relay(b, IO_STOPPED, T0 + 60_000)).toMatchObject({ opened: 1 });
    expect(posted.map((p) => p.message.kind)).toEqual(['root']);
    expect(posted[0]!.thread).toBe(`replica:onprem:replication:${id}`);
    expect(posted[0]!.message.text.text).toContain(`(since ${'<!date^' + T0 / 1000}`);
    // Marked: later checks queue nothing more; the recovery edits that root.
    await relay(a, IO_STOPPED, T0 + 120_000);
    expect(await relay(b, RUNNING, T0 + 180_000)).toMatchObject({ opened: 0, closed: 1 });
    expect(posted.map((p) => p.message.kind)).toEqual(['root', 'reply', 'update-root']);
  });

  it('an unreachable replica opens its own incident and declares nothing else recovered', async () => {
    const a = worker();
    await relay(a, IO_STOPPED, T0);
    const unreachable: ReplicaObservation = {
      ...observation(RUNNING, T0 + 60_000),
      server: { error: 'connect ECONNREFUSED 127.4.0.2:3306' },
    };
    await relayReplicaIncidents(
      evaluateReplicaHealth(unreachable, { lagSeconds: 300, marginHours: 24 }),
      a,
    );
    expect(posted.map((p) => [p.thread.split(':')[2], p.message.kind])).toEqual([
      ['replication', 'root'],
      ['replica-unreachable', 'root'],
    ]);
  });

  it('muted: a new incident stays quiet, is posted when the mute ends while it is still open, and one that ends within the mute is never posted', async () => {
    const redis = connectRedis();
    connections.push(redis);
    const mutes = new MuteStore(redis, prefix);
    const deps = { ...worker(), mutes };
    const now = Date.now();
    await mutes.mute('onprem', { by: { id: 'U0ALICE', name: 'alice' }, until: now + 60_000 });
    // Stopped and recovered within the mute: nothing at all.
    await relay(deps, IO_STOPPED, now);
    await relay(deps, RUNNING, now + 1000);
    expect(posted).toEqual([]);
    // Stopped again, still muted: quiet; then the mute is over and it is still stopped: its root.
    await relay(deps, IO_STOPPED, now + 2000);
    expect(posted).toEqual([]);
    await redis.del(`${prefix}:replicas:onprem:muted`);
    await relay(deps, IO_STOPPED, now + 3000);
    expect(posted.map((p) => p.message.kind)).toEqual(['root']);
    expect(posted[0]!.message.text.text).toContain('replication stopped');
  });

  it('an incident unresolved past escalate.afterMinutes mentions the user group once, whatever polls and workers', async () => {
    const escalate = { userGroup: 'S0DBA', afterMinutes: 30 };
    const a = { ...worker(), escalate };
    const b = { ...worker(), escalate };
    await relay(a, IO_STOPPED, T0);
    await relay(a, IO_STOPPED, T0 + 29 * 60_000);
    expect(posted.map((p) => p.message.kind)).toEqual(['root']);
    await Promise.all([
      relay(a, IO_STOPPED, T0 + 30 * 60_000),
      relay(b, IO_STOPPED, T0 + 30 * 60_000),
    ]);
    await relay(b, IO_STOPPED, T0 + 31 * 60_000);
    await relay(a, GONE, T0 + 32 * 60_000);
    const mentions = posted.filter((p) => p.message.text.text.includes('<!subteam^S0DBA>'));
    expect(mentions).toHaveLength(1);
    expect(mentions[0]!.thread).toBe(posted[0]!.thread);
    expect(mentions[0]!.message.text.text).toContain('still unresolved after 30m 0s');
  });
});
