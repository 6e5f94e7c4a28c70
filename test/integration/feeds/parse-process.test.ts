import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ErrorCode, FeedError } from '../../../src/errors';
import { parseFeedDocument } from '../../../src/feeds/feed-documents';
import { FeedParseProcess, parseProcessMemoryMb } from '../../../src/feeds/parse-process';
import { feedFixture } from '../../helpers/feed-server';

const NOW = Date.parse('2025-11-21T00:00:00Z');

/** An RSS item whose description is `bytes` of line breaks: linear, but heavy per byte. */
function heavyRss(bytes: number): string {
  return `<rss version="2.0"><channel><title>x</title><item><title>t</title><description><![CDATA[${'<br>'.repeat(bytes / 4)}]]></description></item></channel></rss>`;
}

async function refusal(promise: Promise<unknown>): Promise<FeedError> {
  const error = await promise.then(
    () => new Error('expected a refusal'),
    (e: unknown) => e,
  );
  if (error instanceof FeedError) return error;
  throw error;
}

describe('feed parse process (a child process, the real parsers)', () => {
  const processes: FeedParseProcess[] = [];
  const parseProcess = (budgetMs: number, maxMemoryMb = 256) => {
    const created = new FeedParseProcess({ budgetMs, maxMemoryMb });
    processes.push(created);
    return created;
  };
  afterAll(() => Promise.all(processes.map((p) => p.close())));

  it('answers what parsing in this process answers, for every format', async () => {
    const parser = parseProcess(30_000);
    const documents = [
      ['atom', feedFixture('statuspage-history.atom')],
      ['rss', feedFixture('aws-health.rss')],
      ['statuspage', feedFixture('statuspage-incidents-2-identified.json')],
      ['auto', feedFixture('statuspage-scheduled-maintenances.json')],
    ] as const;
    for (const [format, text] of documents)
      expect(await parser.parse(format, text, NOW)).toEqual(parseFeedDocument(format, text, NOW));
    expect(parser.restarts).toBe(0);
  });

  it('passes a refusal on as the same FeedError, and keeps the process', async () => {
    const parser = parseProcess(30_000);
    const error = await refusal(parser.parse('auto', 'Service Unavailable', NOW));
    expect(error).toMatchObject({ code: ErrorCode.FeedInvalid, message: 'neither JSON nor XML' });
    const deep = await refusal(
      parser.parse(
        'rss',
        heavyRss(0).replace('<title>t</title>', `<title>${'<a>'.repeat(100)}</title>`),
        NOW,
      ),
    );
    expect(deep.message).toBe('document nested deeper than 64 levels');
    expect(parser.restarts).toBe(0);
  });

  it('ends the process when a document goes over its budget, and parses the next in a new one', async () => {
    // 6 MB of <br> costs seconds of CPU; the budget stops it after half a second.
    const parser = parseProcess(500);
    const [slow, next] = [
      parser.parse('rss', heavyRss(6 * 1024 * 1024), NOW),
      parser.parse('statuspage', '{"incidents":[]}', NOW),
    ];
    const error = await refusal(slow);
    expect(error.code).toBe(ErrorCode.FeedInvalid);
    expect(error.message).toBe(
      'the document took longer than 500 ms to parse (feeds.parseTimeoutMs): refused',
    );
    expect(await next).toEqual([]);
    expect(parser.restarts).toBe(1);
  });

  it('ends the process when a document needs more heap than allowed, and only that process', async () => {
    const parser = parseProcess(120_000, 64);
    const error = await refusal(parser.parse('rss', heavyRss(16 * 1024 * 1024), NOW));
    expect(error.code).toBe(ErrorCode.FeedTooLarge);
    expect(error.message).toBe('the document needed more than 64 MB to parse: refused');
    expect(await parser.parse('auto', feedFixture('aws-health.rss'), NOW)).toHaveLength(3);
    expect(parser.restarts).toBe(1);
  });

  it('refuses documents once closed, including those still waiting', async () => {
    const parser = parseProcess(30_000);
    const waiting = parser.parse('atom', feedFixture('statuspage-history.atom'), NOW);
    const refused = expect(waiting).rejects.toThrow('the feed parse process is closed');
    await parser.close();
    await refused;
    await expect(parser.parse('atom', '<feed/>', NOW)).rejects.toThrow('closed');
  });

  it('keeps its worker alive while a document waits, and lets it end when idle', async () => {
    // A program that asks for one parse and does nothing else: the answer must come before it
    // ends (the parse process is still starting when the document is handed over), and the idle
    // process must not keep the program from ending afterwards.
    const program = `
      const { FeedParseProcess } = require(${JSON.stringify(require.resolve('../../../src/feeds/parse-process'))});
      const parser = new FeedParseProcess({ budgetMs: 30000, maxMemoryMb: 128 });
      parser.parse('statuspage', '{"incidents":[]}', 0).then((incidents) => console.log(JSON.stringify(incidents)));
    `;
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', program]);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect({ code, output }).toEqual({ code: 0, output: '[]\n' });
  });

  it('sizes the heap by the largest document a feed may send', () => {
    expect(parseProcessMemoryMb(2 * 1024 * 1024)).toBe(256);
    expect(parseProcessMemoryMb(64 * 1024 * 1024)).toBe(4096);
  });
});
