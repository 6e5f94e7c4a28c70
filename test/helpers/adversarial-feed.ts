/**
 * Feed documents built to be as costly as possible to read: the shapes on which the regular
 * expressions that read feed HTML before htmlparser2 took cubic or worse time, and the one that
 * costs the parser now the most per byte. For the fault test (test/e2e/feed-isolation.test.ts)
 * and bench/feeds.
 */
export const ADVERSARIAL_SHAPES = {
  /** Statuspage fragments never closed: the old fragment expression took O(n^4). */
  'unclosed-fragments': '<p><small></small><br><strong></strong>',
  /** Lone `<`: the old tag-stripping expression took O(n^2). */
  'lone-angles': '<',
  /** Line breaks: one element per 4 bytes, the most nodes per byte for the tree. */
  'line-breaks': '<br>',
} as const;

export type AdversarialShape = keyof typeof ADVERSARIAL_SHAPES;

/** `bytes` of one shape, repeated. */
export function adversarialHtml(shape: AdversarialShape, bytes: number): string {
  const unit = ADVERSARIAL_SHAPES[shape];
  return unit.repeat(Math.floor(bytes / unit.length));
}

/**
 * An RSS 2.0 document of about `bytes`, one item per shape, each item's description that shape
 * (in CDATA, as vendors send HTML). `variant` changes the channel title only, so a poller sees a
 * new body and parses it again.
 */
export function adversarialFeed(bytes: number, variant = 0): string {
  const shapes = Object.keys(ADVERSARIAL_SHAPES) as AdversarialShape[];
  const head = `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>hostile ${variant}</title><link>http://127.0.0.1/</link><description>x</description>`;
  const tail = '</channel></rss>';
  const item = (shape: AdversarialShape, size: number) =>
    `<item><title>${shape}</title><guid isPermaLink="false">${shape}</guid><description><![CDATA[${adversarialHtml(shape, size)}]]></description></item>`;
  const overhead =
    head.length + tail.length + shapes.reduce((sum, s) => sum + item(s, 0).length, 0);
  const each = Math.floor((bytes - overhead) / shapes.length);
  return head + shapes.map((shape) => item(shape, each)).join('') + tail;
}
