import type IORedis from 'ioredis';
import {
  ApprovalStore,
  deriveApprovalId,
  newApprovalId,
  type ApprovalRecord,
} from '../../../src/approvals/approval-store';
import { connectRedis, deleteRedisPrefix, testSigner, uniqueName } from '../../helpers/services';

const prefix = uniqueName('approvals');
let redis: IORedis;
let store: ApprovalStore;

beforeAll(() => {
  redis = connectRedis();
  store = new ApprovalStore(redis, prefix, testSigner());
});

afterAll(async () => {
  await deleteRedisPrefix(redis, prefix);
  await redis.quit();
});

const T0 = Date.now();
const TTL = 15 * 60_000;
const allow = () => true;

function create(distinct = true) {
  return store.create({
    request: { command: 'restore-table', target: 'billing', userId: 'UREQ', channelId: 'C1' },
    requesterName: 'alice',
    requirement: { group: 'platform', distinct },
    plan: {
      summary: 'restore billing.invoices',
      steps: [{ text: 'swap tables', irreversible: true }],
    },
    ttlMs: TTL,
    now: T0,
  });
}

describe('ApprovalStore', () => {
  it('creates a pending approval that reads back whole', async () => {
    const record = await create();
    expect(record.id).toMatch(/^apv_[0-9a-f]{24}$/);
    expect(record.expiresAt).toBe(T0 + TTL);
    expect(await store.get(record.id)).toEqual(record);
    expect(await redis.pttl(`${prefix}:approval:${record.id}`)).toBeGreaterThan(0);
  });

  it('approves once, recording who and when; the second click does nothing', async () => {
    const { id } = await create();
    const first = await store.decide(
      id,
      { approverId: 'UAPP', decision: 'approve', now: T0 + 1000 },
      allow,
    );
    expect(first.outcome).toBe('approved');
    expect(first).toMatchObject({
      record: { status: 'approved', decidedBy: 'UAPP', decidedAt: T0 + 1000 },
    });
    const second = await store.decide(
      id,
      { approverId: 'UOTHER', decision: 'reject', now: T0 + 2000 },
      allow,
    );
    expect(second).toMatchObject({
      outcome: 'already-decided',
      record: { status: 'approved', decidedBy: 'UAPP' },
    });
  });

  it('lets exactly one of many simultaneous clicks decide', async () => {
    const { id } = await create();
    const clicks = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        store.decide(
          id,
          { approverId: `UAPP${i}`, decision: i % 2 ? 'reject' : 'approve', now: T0 + 1000 },
          allow,
        ),
      ),
    );
    const deciding = clicks.filter((c) => c.outcome === 'approved' || c.outcome === 'rejected');
    expect(deciding).toHaveLength(1);
    expect(clicks.filter((c) => c.outcome === 'already-decided')).toHaveLength(7);
  });

  it('rejects', async () => {
    const { id } = await create();
    expect(
      await store.decide(id, { approverId: 'UAPP', decision: 'reject', now: T0 + 5 }, allow),
    ).toMatchObject({ outcome: 'rejected', record: { status: 'rejected', decidedBy: 'UAPP' } });
  });

  it('refuses self-approval where distinct is required, and keeps the approval pending', async () => {
    const { id } = await create(true);
    const click = await store.decide(
      id,
      { approverId: 'UREQ', decision: 'approve', now: T0 + 5 },
      allow,
    );
    expect(click.outcome).toBe('self-approval-refused');
    expect((await store.get(id))!.status).toBe('pending');
    // The requester may still withdraw, and without the two-person rule may approve.
    expect(
      (await store.decide(id, { approverId: 'UREQ', decision: 'reject', now: T0 + 6 }, allow))
        .outcome,
    ).toBe('rejected');
    const { id: loose } = await create(false);
    expect(
      (await store.decide(loose, { approverId: 'UREQ', decision: 'approve', now: T0 + 6 }, allow))
        .outcome,
    ).toBe('approved');
  });

  it('asks the policy at click time and refuses who it refuses', async () => {
    const { id } = await create();
    const seen: [string, string, string][] = [];
    const check = (approver: string, record: ApprovalRecord, decision: string) => {
      seen.push([approver, record.id, decision]);
      return approver === 'UGOOD';
    };
    expect(
      (await store.decide(id, { approverId: 'UBAD', decision: 'approve', now: T0 + 5 }, check))
        .outcome,
    ).toBe('not-allowed');
    expect(
      (await store.decide(id, { approverId: 'UGOOD', decision: 'approve', now: T0 + 6 }, check))
        .outcome,
    ).toBe('approved');
    expect(seen).toEqual([
      ['UBAD', id, 'approve'],
      ['UGOOD', id, 'approve'],
    ]);
  });

  it('expires: a click at or after expiresAt decides nothing, first click is told it was first', async () => {
    const { id } = await create();
    const never = jest.fn(() => true);
    const late = await store.decide(
      id,
      { approverId: 'UAPP', decision: 'approve', now: T0 + TTL },
      never,
    );
    expect(late).toMatchObject({ outcome: 'expired', first: true, record: { status: 'expired' } });
    const again = await store.decide(
      id,
      { approverId: 'UAPP', decision: 'approve', now: T0 + TTL + 1 },
      never,
    );
    expect(again).toMatchObject({ outcome: 'expired', first: false });
    expect(never).not.toHaveBeenCalled();
    expect((await store.get(id))!.decidedBy).toBeUndefined();
  });

  it('sweeps expired approvals exactly once, leaving live ones', async () => {
    const sweepPrefix = uniqueName('sweep');
    const sweeper = new ApprovalStore(redis, sweepPrefix, testSigner());
    const request = { command: 'x', userId: 'U1', channelId: 'C1' };
    const requirement = { group: 'g', distinct: false };
    const old = await sweeper.create({ request, requirement, plan: 1, ttlMs: 1000, now: T0 });
    const live = await sweeper.create({ request, requirement, plan: 2, ttlMs: TTL, now: T0 });
    const decided = await sweeper.create({ request, requirement, plan: 3, ttlMs: 1000, now: T0 });
    await sweeper.decide(
      decided.id,
      { approverId: 'U2', decision: 'approve', now: T0 + 10 },
      allow,
    );
    const [a, b] = await Promise.all([
      sweeper.sweepExpired(T0 + 5000),
      sweeper.sweepExpired(T0 + 5000),
    ]);
    expect([...a!, ...b!].map((r) => r.id)).toEqual([old.id]);
    expect((await sweeper.get(old.id))!.status).toBe('expired');
    expect((await sweeper.get(live.id))!.status).toBe('pending');
    await deleteRedisPrefix(redis, sweepPrefix);
  });

  it('lists the approvals still pending, soonest to expire first, leaving out decided, expired and forged ones', async () => {
    const listPrefix = uniqueName('pending');
    const lister = new ApprovalStore(redis, listPrefix, testSigner());
    const request = { command: 'x', userId: 'U1', channelId: 'C1' };
    const requirement = { group: 'g', distinct: false };
    const later = await lister.create({ request, requirement, plan: 1, ttlMs: TTL, now: T0 });
    const sooner = await lister.create({ request, requirement, plan: 2, ttlMs: 60_000, now: T0 });
    await lister.create({ request, requirement, plan: 3, ttlMs: 1000, now: T0 });
    const decided = await lister.create({ request, requirement, plan: 4, ttlMs: TTL, now: T0 });
    await lister.decide(decided.id, { approverId: 'U2', decision: 'reject', now: T0 + 10 }, allow);
    // Written into Redis by someone without the key: it approves nothing, so it is not listed.
    const forged = newApprovalId();
    await redis.hset(`${listPrefix}:approval:${forged}`, {
      status: 'pending',
      expiresAt: String(T0 + TTL),
      record: JSON.stringify({ id: forged, request, requirement, plan: 5, createdAt: T0 }),
      mac: 'forged',
    });
    await redis.zadd(`${listPrefix}:approvals:pending`, T0 + TTL, forged);

    const pending = await lister.pending(T0 + 5000);
    expect(pending.map((r) => r.id)).toEqual([sooner.id, later.id]);
    expect(pending[0]).toEqual(await lister.get(sooner.id));
    await deleteRedisPrefix(redis, listPrefix);
  });

  it('withdraws a pending approval once; later clicks find it decided', async () => {
    const record = await create();
    const withdrawn = await store.withdraw(record.id, 'U0CANCELLER');
    expect(withdrawn).toMatchObject({ status: 'withdrawn', decidedBy: 'U0CANCELLER' });
    expect(await store.withdraw(record.id, 'U0OTHER')).toBeNull();
    const click = await store.decide(
      record.id,
      { approverId: 'U0BOB', decision: 'approve' },
      () => true,
    );
    expect(click).toMatchObject({ outcome: 'already-decided', record: { status: 'withdrawn' } });
    const swept = await store.sweepExpired(record.expiresAt + 1);
    expect(swept.map((r) => r.id)).not.toContain(record.id);
  });

  it('does not withdraw a decided approval', async () => {
    const record = await create();
    await store.decide(record.id, { approverId: 'U0BOB', decision: 'approve' }, () => true);
    expect(await store.withdraw(record.id, 'U0CANCELLER')).toBeNull();
    expect((await store.get(record.id))!.status).toBe('approved');
  });

  it('answers not-found for unknown and malformed ids', async () => {
    expect(
      await store.decide(
        'apv_000000000000000000000000',
        { approverId: 'U', decision: 'approve' },
        allow,
      ),
    ).toEqual({ outcome: 'not-found' });
    expect(await store.decide('../../x', { approverId: 'U', decision: 'approve' }, allow)).toEqual({
      outcome: 'not-found',
    });
  });

  it('takes an id made beforehand, once: a used id never reopens a decided approval', async () => {
    const id = newApprovalId();
    const record = await store.create({
      id,
      request: { command: 'ops ping', userId: 'UREQ', channelId: 'C1' },
      requirement: { group: 'platform', distinct: false },
      plan: { summary: 'ping', steps: [] },
      ttlMs: TTL,
      now: T0,
    });
    expect(record.id).toBe(id);
    await store.decide(id, { approverId: 'UAPP', decision: 'reject', now: T0 + 1 }, allow);
    await expect(
      store.create({
        id,
        request: record.request,
        requirement: record.requirement,
        plan: record.plan,
        ttlMs: TTL,
      }),
    ).rejects.toThrow('exists already');
    expect((await store.get(id))!.status).toBe('rejected');
    await expect(store.create({ ...record, id: 'apv_nothex', ttlMs: TTL })).rejects.toThrow(
      'approval id must match',
    );
  });

  it('creates a derived id once: the same request finds its approval, decided or not', async () => {
    const id = deriveApprovalId('T0:trigger-redelivered');
    expect(id).toMatch(/^apv_[0-9a-f]{24}$/);
    expect(deriveApprovalId('T0:trigger-redelivered')).toBe(id);
    expect(deriveApprovalId('T0:trigger-other')).not.toBe(id);
    const input = {
      id,
      request: { command: 'ops ping', userId: 'UREQ', channelId: 'C1' },
      requirement: { group: 'platform', distinct: true },
      plan: { summary: 'ping', steps: [] },
      ttlMs: TTL,
      now: T0,
    };
    const first = await store.createOnce(input);
    expect(first).toMatchObject({ created: true, record: { id, status: 'pending' } });
    await store.decide(id, { approverId: 'UAPP', decision: 'approve', now: T0 + 1 }, allow);
    const again = await store.createOnce({ ...input, plan: { summary: 'other', steps: [] } });
    expect(again).toMatchObject({
      created: false,
      record: { id, status: 'approved', decidedBy: 'UAPP', plan: { summary: 'ping' } },
    });
  });
});
