/**
 * A thread message's replies. The notify drainer folds replies that queued up behind each other
 * into one message (src/notify/fold-replies.ts), a line each; every reply starts with its Slack
 * time token, so a folded message splits back where a line starts with one.
 */
export function unfoldReplies(text: string): string[] {
  return text.split(/\n(?=<!date\^\d+\^)/);
}
