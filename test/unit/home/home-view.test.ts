import fc from 'fast-check';
import { blockKitViolations } from '../../../devkit/slack/block-kit-limits';
import type { StoredPlan } from '../../../src/approvals/approval-messages';
import type { ApprovalRecord } from '../../../src/approvals/approval-store';
import type { HomeFacts, HomeJob } from '../../../src/home/home-facts';
import { HOME_SHOWN, homeView } from '../../../src/home/home-view';
import { CANCEL_ACTION_ID } from '../../../src/queue/job-thread-observer';
import type { ReplicaWatchHealth } from '../../../src/replicas/replica-health';
import { md } from '../../../src/slack/mrkdwn';

/** Text from outside: hostile markup now and then, any characters, sometimes far too long. */
const outside = fc.oneof(
  fc.constantFrom('<!channel>', '<@U0EVIL>', '<https://evil.example|x>', '\u202Eexe', '&lt;'),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ unit: 'binary', minLength: 2900, maxLength: 4000 }),
);
/** Mrkdwn the rendering layer made of outside text (a planner's summary), as stored. */
const rendered = outside.map((value) => md`${value}`.text);
const at = fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 });
const jobId = fc.stringMatching(/^[a-z][a-z-]{0,20}-[0-9a-f]{10}$/);
const user = fc.record({ id: fc.stringMatching(/^U[A-Z0-9]{2,10}$/), name: outside });

const job = (state: fc.Arbitrary<string>) =>
  fc.record({
    id: jobId,
    state: state as fc.Arbitrary<HomeJob['state']>,
    summary: rendered,
    command: outside,
    commandName: fc.constant('ops ping'),
    actor: user,
    requestedAt: at.map((ms) => new Date(ms).toISOString()),
    failedReason: fc.option(outside, { nil: undefined }),
    mayCancel: fc.boolean(),
  });

const approval: fc.Arbitrary<ApprovalRecord<StoredPlan>> = fc.record({
  id: fc.stringMatching(/^apv_[0-9a-f]{24}$/),
  status: fc.constant('pending' as const),
  request: fc.record({
    command: outside,
    target: fc.option(outside, { nil: undefined }),
    userId: fc.stringMatching(/^U[A-Z0-9]{2,10}$/),
    channelId: fc.constant('C0OPS'),
  }),
  requesterName: outside,
  requirement: fc.record({ group: outside, distinct: fc.boolean() }),
  plan: fc.record({
    summary: rendered,
    steps: fc.array(fc.record({ text: rendered, irreversible: fc.boolean() }), { maxLength: 4 }),
  }),
  createdAt: at,
  expiresAt: at,
});

const health: fc.Arbitrary<ReplicaWatchHealth | null> = fc.option(
  fc.record({
    replica: outside,
    source: outside,
    at,
    incidents: fc.array(
      fc.record({ severity: fc.constantFrom('error', 'warning'), title: outside }),
      { maxLength: 4 },
    ),
  }) as unknown as fc.Arbitrary<ReplicaWatchHealth>,
  { nil: null },
);

const facts: fc.Arbitrary<HomeFacts> = fc
  .record({
    userId: fc.stringMatching(/^U[A-Z0-9]{2,10}$/),
    at,
    open: fc.array(job(fc.constantFrom('active', 'waiting', 'delayed')), { maxLength: 70 }),
    extraOpen: fc.nat(500),
    approvals: fc.array(approval, { maxLength: 30 }),
    locks: fc.option(
      fc.array(
        fc.record({
          app: outside,
          env: outside,
          kind: fc.constantFrom('deploy' as const, 'manual' as const),
          holder: outside,
          actor: user,
          jobId: fc.option(jobId, { nil: undefined }),
          reason: outside,
          since: at,
          expiresAt: fc.option(at, { nil: undefined }),
        }),
        { maxLength: 30 },
      ),
      { nil: undefined },
    ),
    replicas: fc.array(fc.record({ replica: outside, health }), { maxLength: 20 }),
    feeds: fc.array(
      fc.record({
        feed: fc.record({ name: outside, vendor: outside }),
        state: fc.record({
          failures: fc.nat(9),
          lastPollAt: fc.option(at, { nil: undefined }),
          lastOkAt: fc.option(at, { nil: undefined }),
          lastError: fc.option(outside, { nil: undefined }),
        }),
      }),
      { maxLength: 20 },
    ),
    lastJobs: fc.array(job(fc.constantFrom('completed', 'failed')), { maxLength: 5 }),
    unreadable: fc.array(fc.record({ part: fc.constant('jobs'), error: outside }), {
      maxLength: 3,
    }),
  })
  .map(({ extraOpen, locks, ...rest }) => ({
    ...rest,
    ...(locks && { locks }),
    openTotal: rest.open.length + extraOpen,
  }));

/** Every mrkdwn text in the blocks (plain_text is shown as it is: Slack parses nothing there). */
function mrkdwnTexts(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(mrkdwnTexts);
  if (typeof value !== 'object' || value === null) return [];
  const object = value as Record<string, unknown>;
  if (object.type === 'mrkdwn' && typeof object.text === 'string') return [object.text];
  return Object.values(object).flatMap(mrkdwnTexts);
}

type ViewBlock = {
  type: string;
  text?: { text: string };
  accessory?: { action_id: string; value: string };
  elements?: { text?: string }[];
};

describe('the Home tab view (src/home/home-view.ts)', () => {
  it('is a Home view Slack accepts (100 blocks at most, every limit kept), whatever it shows', () => {
    fc.assert(
      fc.property(facts, fc.option(rendered, { nil: undefined }), (shown, notice) => {
        const view = homeView(shown, notice === undefined ? undefined : md`${notice}`);
        expect(view.type).toBe('home');
        expect(blockKitViolations(view.blocks, 'home')).toEqual([]);
        // Outside text never becomes a mention, a link or hidden text where Slack reads mrkdwn.
        for (const mrkdwn of mrkdwnTexts(view.blocks))
          expect(mrkdwn).not.toMatch(/<!channel>|<@U0EVIL>|<https:\/\/evil|\u202E/);
      }),
      { numRuns: 60 },
    );
  });

  it('shows at most HOME_SHOWN.jobs jobs and counts the rest; Cancel only where the user may cancel', () => {
    fc.assert(
      fc.property(facts, (shown) => {
        const blocks = homeView(shown).blocks as unknown as ViewBlock[];
        const jobSections = blocks.filter(
          (b) =>
            b.type === 'section' && shown.open.some((j) => b.text?.text.includes(`\`${j.id}\``)),
        );
        const listed = Math.min(shown.open.length, HOME_SHOWN.jobs);
        const cancels = blocks.filter((b) => b.accessory?.action_id === CANCEL_ACTION_ID);
        expect(cancels.map((b) => b.accessory!.value)).toEqual(
          shown.open
            .slice(0, listed)
            .filter((j) => j.mayCancel)
            .map((j) => j.id),
        );
        const rest = shown.openTotal - listed;
        const more = blocks.find(
          (b) => b.type === 'context' && b.elements?.[0]?.text?.includes('`/ops jobs` lists them'),
        );
        if (rest > 0) expect(more?.elements?.[0]?.text).toContain(`_and ${rest} more_`);
        else expect(more).toBeUndefined();
        expect(jobSections.length).toBeGreaterThanOrEqual(listed);
      }),
      { numRuns: 40 },
    );
  });
});
