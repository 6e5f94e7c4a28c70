/**
 * Mrkdwn as a Slack reader sees its characters: `&lt;`, `&gt;` and `&amp;` are shown as `<`, `>`
 * and `&` (also inside code spans and blocks). For asserting on what a message says; assert on
 * the raw text to see what it can do (an unescaped `<!channel>` pings, an escaped one does not).
 */
export function slackShows(mrkdwn: string): string {
  return mrkdwn.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
