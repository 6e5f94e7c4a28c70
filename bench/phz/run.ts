import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListHostedZonesByNameCommand,
} from '@aws-sdk/client-route-53';
import { ALICE, E2eStack, jobIdIn } from '../../test/helpers/e2e-stack';

/**
 * bench/phz: how long `/phz add` takes from the slash command to "INSYNC" reported in the job's
 * thread, against the bare SDK doing the same change (ChangeResourceRecordSets, then GetChange
 * polled at the same interval) on the same sandbox, side by side in one run.
 *
 * Why this one: what a person waits for is the record being live. Route53 itself takes ~40 s
 * to sync; everything opsdeck adds (ack, queue, zone and SOA check, look-before-change, the
 * checkpoints, the report, the Slack thread through the outbox) should be noise next to that.
 * The sandbox's sync delay is short (1 s) so the overhead is visible: the ratio and the
 * absolute overhead per add are the numbers to watch. Validation speed is not: the parsers run
 * once per command, in microseconds.
 *
 *   npm run bench:phz [-- --adds 10 --sync-ms 1000]
 */
const ADDS = Number(argument('--adds') ?? 10);
const SYNC_MS = Number(argument('--sync-ms') ?? 1000);
const POLL_MS = 200;
const ZONE = 'prod.example.internal.';

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const stack = await new E2eStack(
    {
      access: {
        admins: 'operators',
        groups: { operators: { users: [ALICE.id] } },
        rules: [{ command: 'phz *', targets: ['*'], groups: ['operators'] }],
      },
      phz: { defaultZone: 'prod.example.internal', pollIntervalMs: POLL_MS },
    },
    { sandbox: { seed: true, config: { route53SyncDelayMs: SYNC_MS } } },
  ).start();
  try {
    await stack.startWorker();
    const route53 = stack.sandbox!.clients.route53;
    const { HostedZones } = await route53.send(new ListHostedZonesByNameCommand({ DNSName: ZONE }));
    const zoneId = HostedZones!.find((zone) => zone.Name === ZONE)!.Id!;

    const bare = async (i: number): Promise<number> => {
      const started = performance.now();
      const { ChangeInfo } = await route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: {
            Changes: [
              {
                Action: 'CREATE',
                ResourceRecordSet: {
                  Name: `bare-${i}.${ZONE}`,
                  Type: 'A',
                  TTL: 60,
                  ResourceRecords: [{ Value: `10.1.0.${i}` }],
                },
              },
            ],
          },
        }),
      );
      for (;;) {
        const { ChangeInfo: info } = await route53.send(
          new GetChangeCommand({ Id: ChangeInfo!.Id }),
        );
        if (info!.Status === 'INSYNC') return performance.now() - started;
        await sleep(POLL_MS);
      }
    };

    const bot = async (i: number): Promise<number> => {
      const started = performance.now();
      const res = await stack.slash(`add bot-${i} 10.2.0.${i}`, { command: '/phz' });
      const jobId = jobIdIn((res.body as { text: string }).text);
      for (;;) {
        const { replies } = stack.thread(jobId);
        if (replies.some((line) => line.includes('INSYNC after')))
          return performance.now() - started;
        if (replies.some((line) => line.includes(':x: failed')))
          throw new Error(replies.join('\n'));
        await sleep(20);
      }
    };

    const bareMs: number[] = [];
    const botMs: number[] = [];
    // Alternate, so drift on a noisy machine hits both sides alike; the first pair warms up.
    for (let i = 0; i <= ADDS; i++) {
      const b = await bare(i + 1);
      const o = await bot(i + 1);
      if (i > 0) {
        bareMs.push(b);
        botMs.push(o);
      }
    }
    const row = (name: string, values: number[]) =>
      `${name.padEnd(28)} p50 ${percentile(values, 50).toFixed(0).padStart(6)} ms   max ${Math.max(
        ...values,
      )
        .toFixed(0)
        .padStart(6)} ms`;
    const ratio = percentile(botMs, 50) / percentile(bareMs, 50);
    process.stdout.write(
      [
        `bench/phz: ${ADDS} adds each, sandbox sync delay ${SYNC_MS} ms, GetChange every ${POLL_MS} ms`,
        row('bare SDK (change + poll)', bareMs),
        row('/phz add (ack → INSYNC line)', botMs),
        `ratio p50 ${ratio.toFixed(2)}x; opsdeck adds ${(percentile(botMs, 50) - percentile(bareMs, 50)).toFixed(0)} ms per add (real Route53 syncs in ~40 s)`,
        '',
      ].join('\n'),
    );
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
