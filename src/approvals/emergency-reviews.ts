import type { RedisClient } from '../util/redis-client';
import type { WorkSigner } from '../util/work-signature';

/**
 * The reviews of emergencies (break glass, see BREAK_GLASS in access-policy.ts), in Redis (AOF,
 * like the queues): one per job that ran without its approval, open until an approver presses
 * Reviewed. Every change is one Lua script, so two clicks or two workers decide it once.
 *
 *   <prefix>:review:<jobId>          hash: record (JSON), mac, state (open|reviewed), reviewedBy, reviewedAt
 *   <prefix>:reviews:open            sorted set: job ids of open reviews, by deadline
 *   <prefix>:reviews:reminded:<slot> a reminder's claim (one per reminder interval, any number of workers)
 *
 * Authenticated: `mac` covers the record (who declared it, who reviews it, the reason), so a
 * record written into Redis by anyone but opsdeck is never shown or acted on.
 */
export interface EmergencyReview {
  jobId: string;
  /** The command as typed (redacted). */
  command: string;
  target?: string;
  actor: { id: string; name: string };
  reason: string;
  /** The breakGlass group the actor declared it as. */
  breakGlassGroup: string;
  /** The approval group that reviews it. */
  reviewers: string;
  /** What the emergency went past besides the approval (a promotion gate), as rendered text. */
  overrides: string[];
  openedAt: number;
  dueAt: number;
}

export type ReviewState =
  | { state: 'open'; review: EmergencyReview }
  | {
      state: 'reviewed';
      review: EmergencyReview;
      reviewedBy: { id: string; name: string };
      reviewedAt: number;
    };

const OPEN = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'record', ARGV[1], 'mac', ARGV[2], 'state', 'open')
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1
`;

const CLOSE = `
if redis.call('HGET', KEYS[1], 'state') ~= 'open' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'reviewed', 'reviewedBy', ARGV[1], 'reviewedAt', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[3])
return 1
`;

/** How long a reminder's claim is kept: longer than any interval it stands for. */
const CLAIM_TTL_MS = 8 * 24 * 3600_000;

export class EmergencyReviews {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly signer: WorkSigner,
  ) {}

  private key(jobId: string): string {
    return `${this.prefix}:review:${jobId}`;
  }

  private get openKey(): string {
    return `${this.prefix}:reviews:open`;
  }

  /** Opens the review of `review.jobId`; false when it was opened before (nothing changes). */
  async open(review: EmergencyReview): Promise<boolean> {
    const record = JSON.stringify(review);
    const opened = await this.redis.eval(
      OPEN,
      2,
      this.key(review.jobId),
      this.openKey,
      record,
      this.signer.sign('review', record),
      String(review.dueAt),
      review.jobId,
    );
    return opened === 1;
  }

  /** The review of a job, or undefined (none, or not written by opsdeck). */
  async get(jobId: string): Promise<ReviewState | undefined> {
    const hash = await this.redis.hgetall(this.key(jobId));
    if (hash.record === undefined || !this.signer.check('review', hash.record, hash.mac).ok)
      return undefined;
    const review = JSON.parse(hash.record) as EmergencyReview;
    if (hash.state !== 'reviewed') return { state: 'open', review };
    return {
      state: 'reviewed',
      review,
      reviewedBy: JSON.parse(hash.reviewedBy ?? '{}') as { id: string; name: string },
      reviewedAt: Number(hash.reviewedAt),
    };
  }

  /** Closes an open review; false when it was not open (reviewed meanwhile, or unknown). */
  async close(jobId: string, by: { id: string; name: string }, at: number): Promise<boolean> {
    const closed = await this.redis.eval(
      CLOSE,
      2,
      this.key(jobId),
      this.openKey,
      JSON.stringify(by),
      String(at),
      jobId,
    );
    return closed === 1;
  }

  /** The open reviews, soonest deadline first. */
  async listOpen(): Promise<EmergencyReview[]> {
    const ids = await this.redis.zrange(this.openKey, 0, -1);
    const found = await Promise.all(ids.map((id) => this.get(id)));
    return found.flatMap((entry) => (entry?.state === 'open' ? [entry.review] : []));
  }

  /**
   * Claims the reminder of interval `slot`: true for the first caller only, whichever worker
   * (the feed relay's way: the claim is the decision to post).
   */
  async claimReminder(slot: number): Promise<boolean> {
    const claimed = await this.redis.set(
      `${this.prefix}:reviews:reminded:${slot}`,
      '1',
      'PX',
      CLAIM_TTL_MS,
      'NX',
    );
    return claimed === 'OK';
  }
}
