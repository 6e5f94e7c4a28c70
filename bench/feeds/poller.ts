import { FeedsConfig, type ResolvedFeed } from '../../src/config/feeds';
import { startFeedRelay } from '../../src/feeds/feeds-worker';
import type { PollOutcome } from '../../src/feeds/poll-feed';
import { createLogger } from '../../src/log/logger';
import { connectRedis, deleteRedisPrefix, uniqueName } from '../../test/helpers/services';

/**
 * One measured run of the real feed relay (BullMQ job schedulers, Redis state and claims, the
 * fetcher, the parsers) in a process of its own: `poller.ts <server-url> <mode> <feeds>
 * <interval-ms> <seconds>`. Every feed polls once before the measurement starts (its first poll
 * always parses); then CPU time and polls are counted for `seconds`. Prints one JSON line.
 */
async function main(): Promise<void> {
  const [url, mode, feedCount, intervalMs, seconds] = process.argv.slice(2);
  const count = Number(feedCount);
  const every = Number(intervalMs);
  const prefix = uniqueName('benchfeeds');
  const connection = connectRedis();
  const feeds: ResolvedFeed[] = Array.from({ length: count }, (_, i) => ({
    name: `feed-${i}`,
    vendor: `Vendor ${i}`,
    url: `${url}/${mode}/${i}.json`,
    kind: 'auto',
    minImpact: 'none',
    channel: 'C0BENCH',
    firstPoll: 'unresolved',
    intervalMs: every,
    offsetMs: Math.floor((i / count) * every),
  }));
  let messages = 0;
  const relay = await startFeedRelay({
    connection,
    prefix,
    feeds,
    settings: FeedsConfig.parse({ concurrency: 8 }),
    sink: { enqueue: async () => void (messages += 1) },
    logger: createLogger('warn', 'bench-feeds'),
  });
  const outcomes = new Map<PollOutcome, number>();
  const polled = new Set<string>();
  let measuring = false;
  let warmedUp!: () => void;
  const warm = new Promise<void>((resolve) => (warmedUp = resolve));
  relay.worker!.on('completed', (job, outcome) => {
    polled.add(job.data.feed);
    if (measuring) outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    else if (polled.size === count) warmedUp();
  });
  await warm;
  measuring = true;
  const started = { cpu: process.cpuUsage(), at: Date.now() };
  await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
  measuring = false;
  const cpu = process.cpuUsage(started.cpu);
  const elapsed = (Date.now() - started.at) / 1000;
  await relay.close();
  await deleteRedisPrefix(connection, prefix);
  await connection.quit();
  const polls = [...outcomes.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(
    `${JSON.stringify({
      mode,
      polls,
      outcomes: Object.fromEntries(outcomes),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      elapsed,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      messages,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
