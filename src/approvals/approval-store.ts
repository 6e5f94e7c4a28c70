import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '../util/redis-client';
import { ErrorCode, OpsdeckError } from '../errors';
import { workRefused } from '../metrics/metrics';
import { describeMacFailure, type WorkSigner } from '../util/work-signature';
import type { AccessRequest } from './access-policy';

/**
 * Approvals waiting for a click, in Redis. Each is single-use and expires: the transition out of
 * `pending` happens inside one Lua script, so of two clicks arriving together exactly one
 * decides and the other gets `already-decided`; a click after `expiresAt` decides nothing.
 *
 * Keys (under the configured prefix):
 *   <prefix>:approval:<id>       hash: status, expiresAt, decidedBy, decidedAt, record, mac,
 *                                decisionMac
 *   <prefix>:approvals:pending   sorted set of pending ids by expiresAt (for `sweepExpired`)
 *
 * Authenticated: `mac` covers the record (id, request, requirement, plan with the input the job
 * will run with, times) and its expiry; `decisionMac`, written with an approval, covers the id,
 * the status and who decided when. Reading an approval whose record does not check, or that says
 * `approved` without a decision that checks, throws `WorkUnauthenticated`: an approval edited or
 * added in Redis approves nothing. (Rejected, expired and withdrawn need no MAC: they let nothing
 * run.)
 *
 * The approval id is what the job id derives from (`deriveJobId(runbook, approvalId)`), so an
 * approval enqueues at most one job.
 */

/** `withdrawn`: the job that asked for it mid-run was cancelled before anyone decided. */
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'withdrawn';

export interface ApprovalRecord<P = unknown> {
  id: string;
  status: ApprovalStatus;
  /** The request as authorized when the approval was asked for. */
  request: AccessRequest;
  requesterName?: string;
  requirement: { group: string; distinct: boolean };
  /** What will happen if approved (for the message and the job); JSON. */
  plan: P;
  /** Set when a running job asks for approval mid-run. */
  jobId?: string;
  createdAt: number;
  expiresAt: number;
  decidedBy?: string;
  decidedAt?: number;
}

export interface CreateApproval<P> {
  /** From `newApprovalId()` when the caller needs it before the approval exists. */
  id?: string;
  request: AccessRequest;
  requesterName?: string;
  requirement: { group: string; distinct: boolean };
  plan: P;
  ttlMs: number;
  jobId?: string;
  now?: number;
}

export interface DecideInput {
  approverId: string;
  decision: 'approve' | 'reject';
  now?: number;
}

export type DecideOutcome<P = unknown> =
  | { outcome: 'approved' | 'rejected'; record: ApprovalRecord<P> }
  /** `first` is true for the one click that found it expired: audit and edit the message then. */
  | { outcome: 'expired'; record: ApprovalRecord<P>; first: boolean }
  | { outcome: 'already-decided'; record: ApprovalRecord<P> }
  | { outcome: 'self-approval-refused'; record: ApprovalRecord<P> }
  | { outcome: 'not-allowed'; record: ApprovalRecord<P> }
  /** The approval (or its decision) in Redis does not carry a valid MAC: nothing was decided. */
  | { outcome: 'tampered'; error: ApprovalTamperedError }
  | { outcome: 'not-found' };

/** Asked before an approval is decided: may this person decide it, under the policy as it is now? */
export type ClickCheck<P> = (
  approverId: string,
  record: ApprovalRecord<P>,
  decision: 'approve' | 'reject',
) => boolean | Promise<boolean>;

/** Approval ids are opaque: `apv_` and 24 hex digits. */
export const APPROVAL_ID_PATTERN = /^apv_[0-9a-f]{24}$/;

/** A random approval id (a runbook asking mid-run remembers it in its checkpoint). */
export function newApprovalId(): string {
  return `apv_${randomBytes(12).toString('hex')}`;
}

/**
 * The approval id of a Slack request (`<team>:<trigger id>`), so that a redelivered or
 * double-submitted request finds the approval it asked for instead of asking again. Hashed:
 * the id shown in Slack says nothing of the request.
 */
export function deriveApprovalId(requestKey: string): string {
  return `apv_${createHash('sha256').update(`approval:${requestKey}`).digest('hex').slice(0, 24)}`;
}

/** Decided and expired approvals are kept this long so late clicks get a precise answer. */
const KEEP_AFTER_EXPIRY_MS = 7 * 24 * 3600_000;

/** Creates the approval unless its id is taken (a given id must never reopen a decided one). */
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'expiresAt', ARGV[3], 'record', ARGV[4], 'mac', ARGV[6])
redis.call('PEXPIREAT', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
`;

const DECIDE = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'not-found' end
if status ~= 'pending' then return 'decided' end
if tonumber(ARGV[4]) >= tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) then
  redis.call('HSET', KEYS[1], 'status', 'expired', 'decidedAt', ARGV[4])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 'expired'
end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'decidedBy', ARGV[3], 'decidedAt', ARGV[4], 'decisionMac', ARGV[5])
redis.call('ZREM', KEYS[2], ARGV[1])
return 'ok'
`;

const WITHDRAW = `
if redis.call('HGET', KEYS[1], 'status') ~= 'pending' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'withdrawn', 'decidedBy', ARGV[2], 'decidedAt', ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`;

const SWEEP = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local expired = {}
for _, id in ipairs(ids) do
  local key = ARGV[2] .. id
  redis.call('ZREM', KEYS[1], id)
  if redis.call('HGET', key, 'status') == 'pending' then
    redis.call('HSET', key, 'status', 'expired', 'decidedAt', ARGV[1])
    table.insert(expired, id)
  end
end
return expired
`;

/** An approval whose record or decision does not carry a valid MAC: it decides and runs nothing. */
export class ApprovalTamperedError extends OpsdeckError {
  constructor(
    readonly approvalId: string,
    readonly part: 'approval' | 'approval-decision',
    reason: string,
  ) {
    super(
      ErrorCode.WorkUnauthenticated,
      part === 'approval'
        ? `approval ${approvalId} is not as opsdeck stored it: ${reason}`
        : `the decision of approval ${approvalId} was not written by opsdeck: ${reason}`,
    );
    this.name = 'ApprovalTamperedError';
  }
}

export class ApprovalStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly signer: WorkSigner,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:approval:${id}`;
  }

  private get pendingKey(): string {
    return `${this.prefix}:approvals:pending`;
  }

  /** Creates the approval; an id that is taken (decided or not) is an error. */
  async create<P>(input: CreateApproval<P>): Promise<ApprovalRecord<P>> {
    const result = await this.createOnce(input);
    if (!result.created) throw new RangeError(`approval ${result.record.id} exists already`);
    return result.record;
  }

  /**
   * Creates the approval unless its id is taken; then answers the one that exists, untouched
   * (a redelivered request finds the approval it asked for, whatever became of it).
   */
  async createOnce<P>(
    input: CreateApproval<P>,
  ): Promise<{ created: boolean; record: ApprovalRecord<P> }> {
    if (!Number.isInteger(input.ttlMs) || input.ttlMs <= 0) {
      throw new RangeError(`approval ttlMs must be a positive integer, got ${input.ttlMs}`);
    }
    if (input.id !== undefined && !APPROVAL_ID_PATTERN.test(input.id)) {
      throw new RangeError(
        `approval id must match ${String(APPROVAL_ID_PATTERN)}, got ${input.id}`,
      );
    }
    const now = input.now ?? Date.now();
    const record: ApprovalRecord<P> = {
      id: input.id ?? newApprovalId(),
      status: 'pending',
      request: input.request,
      ...(input.requesterName !== undefined && { requesterName: input.requesterName }),
      requirement: input.requirement,
      plan: input.plan,
      ...(input.jobId !== undefined && { jobId: input.jobId }),
      createdAt: now,
      expiresAt: now + input.ttlMs,
    };
    const { id, status, expiresAt, ...fixed } = record;
    const stored = JSON.stringify({ id, ...fixed });
    const created = await this.redis.eval(
      CREATE,
      2,
      this.key(id),
      this.pendingKey,
      id,
      status,
      String(expiresAt),
      stored,
      String(expiresAt + KEEP_AFTER_EXPIRY_MS),
      signApproval(this.signer, id, expiresAt, stored),
    );
    if (created === 1) return { created: true, record };
    const existing = await this.get<P>(id);
    if (!existing) throw new RangeError(`approval ${id} exists already, unreadable`);
    return { created: false, record: existing };
  }

  /**
   * The approval, or null when there is none; throws `ApprovalTamperedError` when its record, or
   * the decision of one that says approved, does not carry a valid MAC.
   */
  async get<P = unknown>(id: string): Promise<ApprovalRecord<P> | null> {
    if (!APPROVAL_ID_PATTERN.test(id)) return null;
    const hash = await this.redis.hgetall(this.key(id));
    if (Object.keys(hash).length === 0) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(hash.record ?? '');
    } catch {
      throw new ApprovalTamperedError(id, 'approval', 'its record is not JSON');
    }
    const expiresAt = Number(hash.expiresAt);
    const check = this.signer.check('approval', approvalRecord(id, expiresAt, parsed), hash.mac);
    if (!check.ok)
      throw new ApprovalTamperedError(id, 'approval', describeMacFailure(check.reason));
    const fixed = parsed as Omit<ApprovalRecord<P>, 'status' | 'expiresAt'>;
    if (fixed.id !== id) throw new ApprovalTamperedError(id, 'approval', 'it is another approval');
    if (hash.status === 'approved') {
      const decision = this.signer.check(
        'approval-decision',
        decisionRecord(id, hash.decidedBy, Number(hash.decidedAt)),
        hash.decisionMac,
      );
      if (!decision.ok) {
        throw new ApprovalTamperedError(
          id,
          'approval-decision',
          describeMacFailure(decision.reason),
        );
      }
    }
    return {
      ...fixed,
      status: hash.status as ApprovalStatus,
      expiresAt,
      ...(hash.decidedBy !== undefined && { decidedBy: hash.decidedBy }),
      ...(hash.decidedAt !== undefined && { decidedAt: Number(hash.decidedAt) }),
    };
  }

  /**
   * Decides an approval once. Order: unknown → `not-found`; not authentic → `tampered` (nothing
   * decided); no longer pending → `already-decided` (or `expired`); approving one's own request
   * where the two-person rule applies → `self-approval-refused`; `mayDecide` false →
   * `not-allowed`; then the atomic transition, which a concurrent click or the expiry may still
   * win.
   */
  async decide<P = unknown>(
    id: string,
    input: DecideInput,
    mayDecide: ClickCheck<P>,
  ): Promise<DecideOutcome<P>> {
    try {
      return await this.decideChecked(id, input, mayDecide);
    } catch (error) {
      if (error instanceof ApprovalTamperedError) return { outcome: 'tampered', error };
      throw error;
    }
  }

  private async decideChecked<P>(
    id: string,
    input: DecideInput,
    mayDecide: ClickCheck<P>,
  ): Promise<DecideOutcome<P>> {
    const now = input.now ?? Date.now();
    const record = await this.get<P>(id);
    if (!record) return { outcome: 'not-found' };
    if (record.status === 'expired') return { outcome: 'expired', record, first: false };
    if (record.status !== 'pending') return { outcome: 'already-decided', record };
    if (now < record.expiresAt) {
      if (
        input.decision === 'approve' &&
        record.requirement.distinct &&
        input.approverId === record.request.userId
      ) {
        return { outcome: 'self-approval-refused', record };
      }
      if (!(await mayDecide(input.approverId, record, input.decision))) {
        return { outcome: 'not-allowed', record };
      }
    }
    const status = input.decision === 'approve' ? 'approved' : 'rejected';
    const result = (await this.redis.eval(
      DECIDE,
      2,
      this.key(id),
      this.pendingKey,
      id,
      status,
      input.approverId,
      String(now),
      status === 'approved'
        ? this.signer.sign('approval-decision', decisionRecord(id, input.approverId, now))
        : '',
    )) as 'not-found' | 'decided' | 'expired' | 'ok';
    const after = await this.get<P>(id);
    if (result === 'not-found' || !after) return { outcome: 'not-found' };
    if (result === 'expired') return { outcome: 'expired', record: after, first: true };
    if (result === 'decided') {
      return after.status === 'expired'
        ? { outcome: 'expired', record: after, first: false }
        : { outcome: 'already-decided', record: after };
    }
    return { outcome: status, record: after };
  }

  /**
   * Withdraws a pending approval (its job was cancelled while waiting): later clicks find it
   * decided. Returns the record if this call withdrew it, null if it was no longer pending.
   */
  async withdraw<P = unknown>(
    id: string,
    byId: string,
    now = Date.now(),
  ): Promise<ApprovalRecord<P> | null> {
    const done = await this.redis.eval(
      WITHDRAW,
      2,
      this.key(id),
      this.pendingKey,
      id,
      byId,
      String(now),
    );
    return done === 1 ? this.get<P>(id) : null;
  }

  /**
   * The approvals still pending (not yet past their expiry), soonest to expire first, at most
   * `limit`; one that does not check is left out (and counted), as it can approve nothing.
   */
  async pending<P = unknown>(now = Date.now(), limit = 200): Promise<ApprovalRecord<P>[]> {
    const ids = await this.redis.zrangebyscore(this.pendingKey, now, '+inf', 'LIMIT', 0, limit);
    const records = await this.readAuthentic<P>(ids);
    return records.filter((record) => record.status === 'pending');
  }

  /**
   * Marks every pending approval past its expiry as expired and returns them (each exactly
   * once, across processes), so the caller can audit `expired` and edit the messages.
   */
  async sweepExpired<P = unknown>(now = Date.now(), limit = 100): Promise<ApprovalRecord<P>[]> {
    const ids = (await this.redis.eval(
      SWEEP,
      1,
      this.pendingKey,
      String(now),
      `${this.prefix}:approval:`,
      String(limit),
    )) as string[];
    // One that does not check is left out (and counted): its expiry lets nothing run anyway.
    return this.readAuthentic<P>(ids);
  }

  /** The approvals of `ids` that exist and check; one that does not check is counted and left out. */
  private async readAuthentic<P>(ids: string[]): Promise<ApprovalRecord<P>[]> {
    const records = await Promise.all(
      ids.map((id) =>
        this.get<P>(id).catch((error: unknown) => {
          if (!(error instanceof ApprovalTamperedError)) throw error;
          workRefused.inc({ kind: error.part });
          return null;
        }),
      ),
    );
    return records.filter((record): record is ApprovalRecord<P> => record !== null);
  }
}

/**
 * The MAC of an approval: its id, expiry and stored record (the JSON in its `record` field).
 * Whoever holds the key can sign; the tests use it to age an approval out as time would.
 */
export function signApproval(
  signer: WorkSigner,
  id: string,
  expiresAt: number,
  storedRecord: string,
): string {
  return signer.sign('approval', approvalRecord(id, expiresAt, JSON.parse(storedRecord)));
}

function approvalRecord(id: string, expiresAt: number, record: unknown): unknown {
  return { id, expiresAt, record };
}

/** What an approval's decision MAC covers: only `approved` is signed (it is what lets work run). */
function decisionRecord(id: string, decidedBy: string | undefined, decidedAt: number): unknown {
  return { id, status: 'approved', decidedBy: decidedBy ?? null, decidedAt };
}
