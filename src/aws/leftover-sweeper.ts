import type { EC2Client } from '@aws-sdk/client-ec2';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { RedisClient } from '../util/redis-client';
import { describeError } from '../errors';
import type { Logger } from '../log/logger';
import { describeLeftover, findLeftovers } from './leftover-sweep';
import { type MessageSink } from '../notify/message-sink';
import { join, md, type Mrkdwn } from '../slack/mrkdwn';

export interface LeftoverSweeperOptions {
  aws: { rds: RDSClient; ec2: EC2Client };
  redis: RedisClient;
  prefix: string;
  outbox: MessageSink;
  channel: string;
  intervalMs: number;
  isRunning: (jobId: string) => Promise<boolean>;
  logger: Logger;
}

/** How long a reported leftover stays quiet before it is reported again if still there. */
const REPORT_AGAIN_MS = 24 * 3600_000;

/**
 * Every interval, one worker (a Redis lock per interval) looks for cloud resources left by jobs
 * that no longer run and posts the new ones to the alert channel: each is reported once a day
 * while it exists, never on every sweep.
 */
export class LeftoverSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly o: LeftoverSweeperOptions) {}

  start(): void {
    const tick = () => {
      this.running = this.sweep()
        .then(() => undefined)
        .catch((error: unknown) =>
          this.o.logger.warn({ err: error }, `leftover sweep failed: ${describeError(error)}`),
        );
    };
    this.timer = setInterval(tick, this.o.intervalMs);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One sweep; returns the lines it posted (none when another worker holds this interval). */
  async sweep(): Promise<string[]> {
    const lock = `${this.o.prefix}:leftover-sweep:lock`;
    const took = await this.o.redis.set(lock, '1', 'PX', Math.max(1, this.o.intervalMs - 50), 'NX');
    if (took !== 'OK') return [];
    const leftovers = await findLeftovers(this.o.aws, this.o.isRunning);
    const fresh: Mrkdwn[] = [];
    for (const leftover of leftovers) {
      const key = `${this.o.prefix}:leftover-sweep:reported:${leftover.kind}:${leftover.id}`;
      if ((await this.o.redis.set(key, leftover.jobId, 'PX', REPORT_AGAIN_MS, 'NX')) === 'OK')
        fresh.push(describeLeftover(leftover));
    }
    if (fresh.length > 0) {
      this.o.logger.warn(
        { leftovers: fresh.map(String) },
        'cloud resources left by jobs no longer running',
      );
      await this.o.outbox.enqueue(`leftovers:${Date.now()}`, {
        kind: 'root',
        channel: this.o.channel,
        text: join(
          [
            md`:warning: Left in the cloud by jobs that are no longer running (delete what is not needed; \`/ops jobs\` shows the jobs):`,
            ...fresh,
          ],
          '\n',
        ),
      });
    }
    return fresh.map(String);
  }
}
