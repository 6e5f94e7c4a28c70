/**
 * Text as a Slack reader sees it: the three entities the rendering layer writes (`&lt;`, `&gt;`,
 * `&amp;`) decoded; tokens, mentions and formatting as sent. Tests assert on what people read;
 * the escaping itself is asserted on the raw messages (test/unit/slack/mrkdwn.test.ts, the
 * property test of the front door).
 */
export function shown(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The text of an ephemeral answer (the ack's body), as the requester reads it. */
export function answerText(res: { body: unknown }): string {
  return shown((res.body as { text: string }).text);
}
