import { loadRunbooks } from '../../../src/app/load-modules';
import type { AnyRunbook } from '../../../src/runbook/define-runbook';
import { md } from '../../../src/slack/mrkdwn';
import { activeSteps, isIrreversible, planLines, planOf } from '../../../src/runbook/plan-of';

/**
 * Every runbook in jobs/ shows every step it runs in its plan (the approval message and
 * --dry-run), marked where it cannot be undone, and every cleanup: a step added to a runbook is in
 * its plan, with nothing to write beside it. Each runbook has sample inputs and planner facts
 * here; a new runbook without them fails the first test.
 */

const restoreFacts = {
  sourceInstance: 'production-db',
  securityGroupIds: [],
  window: { earliest: new Date('2025-11-20T00:00:00Z'), latest: new Date('2025-11-21T16:00:00Z') },
};
const restoreInput = {
  database: 'billing',
  schema: 'billing',
  table: 'invoices',
  at: '2025-11-21T15:59:30Z',
  keepInstance: false,
};
const deployInput = {
  kind: 'deploy',
  queue: false,
  app: 'web',
  env: 'prod',
  ref: 'v1.2.3',
  hosts: ['web-1', 'web-2'],
};
const deployFacts = {
  commands: ['deploy web-1', 'deploy web-2'],
  pre: 'migrate',
  post: 'notify',
  rollout: '1 host at a time',
  transition: md`v1.2.2 → v1.2.3`,
};
const zone = { id: 'Z0123456789', name: 'prod.example.internal' };
const seedFacts = {
  sourceInstance: 'production-db',
  securityGroupIds: [],
  sourceEndpoint: { host: 'production-db.example', port: 3306 },
  retention: { current: null, raise: true },
  replicaSkipsRdsTables: false,
  channelTls: { mode: 'verify-identity', caFile: '/etc/mysql/rds-ca.pem' },
};

const SAMPLES: Record<string, { input: unknown; facts: unknown }[]> = {
  ping: [
    { input: { ticks: 2, tickMs: 0, approveMidway: false }, facts: undefined },
    { input: { ticks: 2, tickMs: 0, approveMidway: true }, facts: undefined },
  ],
  'restore-table': (['side', 'merge', 'replace'] as const).flatMap((mode) =>
    [false, true].map((keepInstance) => ({
      input: { ...restoreInput, mode, keepInstance },
      facts: restoreFacts,
    })),
  ),
  'seed-slave': [
    {
      input: { source: 'billing', replica: 'onprem', databases: ['shop'], retentionHours: 168 },
      facts: seedFacts,
    },
    {
      input: { source: 'billing', replica: 'onprem', databases: ['shop'], retentionHours: 24 },
      facts: {
        ...seedFacts,
        retention: { current: 48, raise: false },
        replicaSkipsRdsTables: true,
        channelTls: { mode: 'disabled' },
      },
    },
  ],
  'raise-binlog-retention': [
    {
      input: { source: 'billing', retentionHours: 168 },
      facts: { sourceInstance: 'production-db', retention: { current: 1, raise: true } },
    },
  ],
  deploy: [
    { input: { ...deployInput, pre: false, post: false }, facts: deployFacts },
    { input: { ...deployInput, pre: true, post: true }, facts: deployFacts },
    {
      input: { ...deployInput, kind: 'rollback', queue: true, pre: false, post: false },
      facts: deployFacts,
    },
  ],
  phz: [
    {
      input: {
        action: 'create',
        zone,
        name: 'cache.prod.example.internal',
        type: 'CNAME',
        new: { ttl: 60, values: ['a.example'] },
      },
      facts: undefined,
    },
    {
      input: {
        action: 'delete',
        zone,
        name: 'cache.prod.example.internal',
        type: 'CNAME',
        old: { ttl: 60, values: ['a.example'] },
      },
      facts: undefined,
    },
  ],
};

const registry = loadRunbooks();
const runbooks: AnyRunbook[] = registry.names().map((name) => registry.get(name));

describe('the plans of the runbooks in jobs/', () => {
  it('has sample inputs for every runbook (a new runbook needs them here)', () => {
    expect(runbooks.map((r) => r.name).sort()).toEqual(Object.keys(SAMPLES).sort());
  });

  for (const runbook of runbooks) {
    for (const [i, { input, facts }] of (SAMPLES[runbook.name] ?? []).entries()) {
      it(`${runbook.name} (sample ${i + 1}): the plan shows every step that runs and every cleanup, marks as declared`, () => {
        const parsed = runbook.input.parse(input);
        const plan = planOf(runbook, parsed, facts);
        const active = activeSteps(runbook, parsed);
        const withCleanup = active.filter((s) => s.cleanup !== undefined).reverse();
        expect(plan.map((line) => [line.step, line.cleanup === true])).toEqual([
          ...active.map((s) => [s.name, false]),
          ...withCleanup.map((s) => [s.name, true]),
        ]);
        for (const [index, s] of active.entries())
          expect(plan[index]!.irreversible === true).toBe(isIrreversible(s, parsed));
        for (const line of plan) expect(line.text.text.trim()).not.toBe('');
        expect(planLines(plan)).toHaveLength(active.length + withCleanup.length);
      });
    }
  }

  it("seed-slave's plan says how the replica will reach the source: TLS and the CA, or plain TCP", () => {
    const runbook = runbooks.find((r) => r.name === 'seed-slave')!;
    const pointLine = (sample: { input: unknown; facts: unknown }) =>
      planOf(runbook, runbook.input.parse(sample.input), sample.facts).find(
        (line) => line.step === 'start-replication',
      )!.text.text;
    const [verified, plain] = SAMPLES['seed-slave']!;
    expect(pointLine(verified!)).toContain(
      "over TLS, the source's certificate and name checked against /etc/mysql/rds-ca.pem on the replica",
    );
    expect(pointLine(plain!)).toContain('over plain TCP (sourceTls disabled)');
  });
});
