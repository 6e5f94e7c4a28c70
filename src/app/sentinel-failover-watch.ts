import IORedis, { type RedisOptions } from 'ioredis';

/**
 * Follows a Redis Sentinel failover for a process's connections: when a sentinel announces a new
 * primary (`+switch-master`), every connection that is ready and still talks to another server
 * is dropped, and ioredis reconnects it through the sentinels to the new primary. A primary cut
 * off by the network still looks alive to its clients, so waiting for the connection to break
 * is not enough.
 *
 * ioredis's own `failoverDetector` does the same, but when the announcement arrives while a
 * connection is reconnecting (asking the sentinels, as it does as soon as the killed primary's
 * connection closes) it aborts that attempt and ends the connection for good: every later
 * command fails with "Connection is closed." and the worker holding it stops. Seen in
 * test/e2e/redis-failover.test.ts on a loaded machine: a job stuck mid-step (redis/ioredis#1683
 * reports the same symptom after failovers in production). Here a connection that is not ready
 * is left alone: it is reconnecting, and the sentinels name the new primary.
 */
export class SentinelFailoverWatch {
  private readonly connections = new Set<IORedis>();
  private subscribers: IORedis[] = [];

  constructor(
    private readonly sentinels: readonly { host: string; port: number }[],
    private readonly masterName: string,
    private readonly sentinelPassword: string | undefined,
  ) {}

  /** Watches `connection` until it ends; the sentinels are subscribed to while any is watched. */
  watch<C extends IORedis>(connection: C): C {
    this.connections.add(connection);
    connection.once('end', () => {
      this.connections.delete(connection);
      if (this.connections.size === 0) this.unsubscribe();
    });
    if (this.subscribers.length === 0) this.subscribe();
    return connection;
  }

  /** A sentinel's `+switch-master` message: `<name> <old ip> <old port> <new ip> <new port>`. */
  switched(message: string): void {
    const [name, , , host, port] = message.split(' ');
    if (name !== this.masterName || host === undefined || port === undefined) return;
    for (const connection of this.connections) {
      if (connection.status !== 'ready') continue;
      const stream = connection.stream;
      const at = `${stream.remoteAddress?.replace(/^::ffff:/, '')}:${stream.remotePort}`;
      // Destroyed, not ended: a primary cut off would never answer an orderly close.
      if (at !== `${host}:${port}`) stream.destroy();
    }
  }

  private subscribe(): void {
    const options: RedisOptions = {
      ...(this.sentinelPassword !== undefined && { password: this.sentinelPassword }),
      maxRetriesPerRequest: null,
    };
    // One subscriber per sentinel: any of them announcing is enough, and one down changes nothing.
    this.subscribers = this.sentinels.map((sentinel) => {
      const subscriber = new IORedis({ ...sentinel, ...options });
      subscriber.on('error', () => undefined);
      subscriber.on('message', (_channel: string, message: string) => this.switched(message));
      subscriber.subscribe('+switch-master').catch(() => undefined);
      return subscriber;
    });
  }

  private unsubscribe(): void {
    for (const subscriber of this.subscribers.splice(0)) subscriber.disconnect();
  }
}

/** An ioredis connection through Sentinel whose duplicates (BullMQ makes some) are watched too. */
export class WatchedSentinelRedis extends IORedis {
  constructor(
    options: RedisOptions,
    private readonly failoverWatch: SentinelFailoverWatch,
  ) {
    super(options);
    failoverWatch.watch(this);
  }

  override duplicate(override?: Partial<RedisOptions>): IORedis {
    return new WatchedSentinelRedis({ ...this.options, ...override }, this.failoverWatch);
  }
}
