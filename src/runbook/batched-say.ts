import { join, type Mrkdwn } from '../slack/mrkdwn';

/**
 * Lines for a job's thread, gathered and posted together: Slack takes about one message per
 * second per channel, so a rollout over many hosts posting a line per host would have its thread
 * (and its final outcome) lag a minute behind the work. Lines added within `intervalMs` of the
 * first one go out as one message (at most `maxLines` in one); `intervalMs` 0 posts each at once.
 * `flush` posts what is pending now (before a line that must stand alone, and at the end).
 */
export class BatchedSay {
  private pending: Mrkdwn[] = [];
  private timer: NodeJS.Timeout | undefined;
  private posting: Promise<void> = Promise.resolve();

  constructor(
    private readonly say: (text: Mrkdwn) => Promise<void>,
    private readonly intervalMs: number,
    private readonly maxLines = 40,
  ) {}

  add(line: Mrkdwn): Promise<void> {
    this.pending.push(line);
    if (this.intervalMs <= 0 || this.pending.length >= this.maxLines) return this.flush();
    this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.intervalMs);
    return this.posting;
  }

  /** Posts the pending lines (in order, after what is being posted) and waits for it. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length > 0) {
      const text = join(this.pending, '\n');
      this.pending = [];
      this.posting = this.posting.then(() => this.say(text));
    }
    return this.posting;
  }
}
