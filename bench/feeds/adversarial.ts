import { entryUpdates as oldEntryUpdates } from './baseline/entry-updates';
import { entryUpdates } from '../../src/feeds/entry-updates';
import { parseFeedDocument } from '../../src/feeds/feed-documents';
import {
  type AdversarialShape,
  adversarialFeed,
  adversarialHtml,
} from '../../test/helpers/adversarial-feed';

/**
 * One measured series in a process of its own (run.ts kills it when a step takes too long):
 *
 *   adversarial.ts entry <old|new> <shape> <bytes,bytes,...>   one entry's HTML of that shape
 *   adversarial.ts document <bytes>                             a whole adversarial RSS document
 *
 * Prints one JSON line per measurement: the CPU time of reading it (user + system), the least
 * of at least 3 runs (more, up to 50, while they add up to less than 300 ms: a collection or a
 * busy neighbour only ever adds time), after a small warm-up, so no line is the JIT's.
 */
function cpuMs(run: () => unknown): number {
  const runs: number[] = [];
  while (runs.length < 3 || (runs.reduce((a, b) => a + b, 0) < 300 && runs.length < 50)) {
    const before = process.cpuUsage();
    run();
    const used = process.cpuUsage(before);
    runs.push((used.user + used.system) / 1000);
  }
  return Math.min(...runs);
}

function print(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const [what, ...args] = process.argv.slice(2);
if (what === 'entry') {
  const [parser, shape, sizes] = args as [string, AdversarialShape, string];
  const read = parser === 'old' ? oldEntryUpdates : entryUpdates;
  read('e', adversarialHtml(shape, 512), 'title', 0);
  for (const bytes of sizes.split(',').map(Number)) {
    const html = adversarialHtml(shape, bytes);
    print({ parser, shape, bytes, cpuMs: cpuMs(() => read('e', html, 'title', 0)) });
  }
} else if (what === 'document') {
  const bytes = Number(args[0]);
  parseFeedDocument('rss', adversarialFeed(64 * 1024), 0);
  const text = adversarialFeed(bytes);
  print({ bytes: text.length, cpuMs: cpuMs(() => parseFeedDocument('rss', text, 0)) });
} else {
  process.stderr.write(
    'usage: adversarial.ts entry <old|new> <shape> <bytes,...> | document <bytes>\n',
  );
  process.exit(2);
}
