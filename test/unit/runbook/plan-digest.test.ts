import { z } from 'zod';
import { ErrorCode, isOpsdeckError } from '../../../src/errors';
import { defineRunbook, step, type StepDefinition } from '../../../src/runbook/define-runbook';
import {
  checkPlanned,
  inputDigest,
  plannedDigests,
  runbookDigest,
} from '../../../src/runbook/plan-digest';
import { md } from '../../../src/slack/mrkdwn';

/** The digests that tie a job to the plan approved: what changes them, what refuses a job. */

interface Input {
  table: string;
  mode: 'side' | 'merge';
}
type Step = StepDefinition<Input, object, string>;

const noop = async () => undefined;
const input = z.strictObject({ table: z.string(), mode: z.enum(['side', 'merge']) });
const plain = (name: string): Step =>
  step<Input, object, string>(name, noop, { describe: (_i, facts) => md`${name} ${facts}` });
const undo = (name: string): Step =>
  step<Input, object, string>(name, noop, {
    describe: () => md`${name}`,
    cleanup: { name: `undo-${name}`, run: noop, describe: () => md`undo ${name}` },
  });
const merge = (irreversible: boolean): Step =>
  step<Input, object, string>('merge', noop, {
    describe: () => md`merge`,
    when: (i) => i.mode === 'merge',
    irreversible,
  });

const runbookOf = (steps: Step[], revision?: number) =>
  defineRunbook<Input, object, string>({
    name: 'restore',
    input,
    ...(revision !== undefined && { revision }),
    steps,
  });

const base = runbookOf([plain('check'), undo('create'), merge(true), plain('report')]);
const sample: Input = { table: 'invoices', mode: 'merge' };

describe('runbookDigest', () => {
  it('is stable, and the wording of descriptions (the facts) is not part of it', () => {
    const again = runbookOf([plain('check'), undo('create'), merge(true), plain('report')]);
    expect(runbookDigest(again, sample)).toBe(runbookDigest(base, sample));
    expect(runbookDigest(base, sample)).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    [
      'a step added',
      runbookOf([plain('check'), plain('snapshot'), undo('create'), merge(true), plain('report')]),
    ],
    ['a step removed', runbookOf([plain('check'), undo('create'), merge(true)])],
    ['steps reordered', runbookOf([undo('create'), plain('check'), merge(true), plain('report')])],
    ['a step renamed', runbookOf([plain('check'), undo('create'), merge(true), plain('tell')])],
    [
      'an irreversible mark dropped',
      runbookOf([plain('check'), undo('create'), merge(false), plain('report')]),
    ],
    [
      'a cleanup dropped',
      runbookOf([plain('check'), plain('create'), merge(true), plain('report')]),
    ],
    [
      'the revision bumped',
      runbookOf([plain('check'), undo('create'), merge(true), plain('report')], 2),
    ],
  ])('changes with %s', (_what, changed) => {
    expect(runbookDigest(changed, sample)).not.toBe(runbookDigest(base, sample));
  });

  it('depends on which steps run for the input', () => {
    expect(runbookDigest(base, { ...sample, mode: 'side' as const })).not.toBe(
      runbookDigest(base, sample),
    );
  });
});

describe('inputDigest', () => {
  it('does not depend on the order of keys, and changes with any value', () => {
    expect(inputDigest({ a: 1, b: [1, 2] })).toBe(inputDigest({ b: [1, 2], a: 1 }));
    expect(inputDigest({ a: 1, b: [1, 2] })).not.toBe(inputDigest({ a: 1, b: [2, 1] }));
    expect(inputDigest(sample)).not.toBe(inputDigest({ ...sample, table: 'invoices2' }));
  });
});

describe('checkPlanned', () => {
  const approvedBy = { id: 'U0BOB', name: 'bob' };
  const planned = plannedDigests(base, sample);
  const refusal = (fn: () => void): string => {
    try {
      fn();
    } catch (error) {
      if (isOpsdeckError(error) && error.code === ErrorCode.PlanChanged) return error.message;
      throw error;
    }
    throw new Error('not refused');
  };

  it('lets the job run when its runbook and input are the ones planned', () => {
    expect(() => checkPlanned(base, { planned, approvedBy }, { ...sample }, sample)).not.toThrow();
  });

  it('refuses a job whose input is not the one approved', () => {
    const changed = { ...sample, table: 'payments' };
    expect(refusal(() => checkPlanned(base, { planned, approvedBy }, changed, changed))).toMatch(
      /^this job's input is not what bob approved \(input digest [0-9a-f]{12}, approved [0-9a-f]{12}\)\. Nothing was run: run the command again/,
    );
  });

  it('refuses a job whose runbook changed since it was approved', () => {
    const grown = runbookOf([
      plain('check'),
      undo('create'),
      merge(true),
      plain('drop'),
      plain('report'),
    ]);
    expect(refusal(() => checkPlanned(grown, { planned, approvedBy }, sample, sample))).toMatch(
      /^the restore runbook on this worker is not the one in what bob approved: its steps, their order, irreversible marks or cleanups changed since/,
    );
  });

  it('refuses an approved job that carries no digests (fail closed); a job never approved and never planned runs', () => {
    expect(refusal(() => checkPlanned(base, { approvedBy }, sample, sample))).toMatch(
      /approved by bob without the digests of the plan approved/,
    );
    expect(() => checkPlanned(base, {}, sample, sample)).not.toThrow();
  });
});
