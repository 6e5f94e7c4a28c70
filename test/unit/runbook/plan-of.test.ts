import { z } from 'zod';
import {
  approval,
  defineRunbook,
  step,
  type StepDefinition,
} from '../../../src/runbook/define-runbook';
import { activeSteps, planLines, planOf } from '../../../src/runbook/plan-of';
import { md } from '../../../src/slack/mrkdwn';

/** Plans are made from the runbook: every step that runs, its marks, its cleanups. */

interface Input {
  mode: 'side' | 'merge';
  table: string;
}
interface Facts {
  window: string;
}

const noop = async () => undefined;

const steps: StepDefinition<Input, object, Facts>[] = [
  step<Input, object, Facts>('check', noop, {
    describe: ({ table }, { window }) => md`check ${table} (window ${window})`,
  }),
  step<Input, object, Facts>('create', noop, {
    describe: () => md`create a temporary instance`,
    cleanup: { name: 'delete', run: noop, describe: () => md`delete the temporary instance` },
  }),
  step<Input, object, Facts>('open', noop, {
    describe: () => md`open the network`,
    cleanup: { name: 'close', run: noop, describe: () => md`close the network` },
  }),
  approval<Input, object, Facts>('approve', {
    when: ({ mode }) => mode === 'merge',
    describe: () => md`ask again`,
    summary: ({ table }) => md`merge into ${table}`,
    facts: () => ({ window: 'found' }),
  }),
  step<Input, object, Facts>('merge', noop, {
    when: ({ mode }) => mode === 'merge',
    describe: ({ table }) => md`INSERT the missing rows into ${table}`,
    irreversible: true,
  }),
  step<Input, object, Facts>('report', noop, { describe: () => md`report` }),
];

const runbook = defineRunbook<Input, object, Facts>({
  name: 'test',
  input: z.strictObject({ mode: z.enum(['side', 'merge']), table: z.string() }),
  steps,
});

const texts = (plan: { text: { text: string } }[]) => plan.map((line) => line.text.text);

describe('planOf', () => {
  it('lists every step that runs for the input, in order, then every cleanup in the order they run', () => {
    const plan = planOf(runbook, { mode: 'merge', table: 'invoices' }, { window: '2 days' });
    expect(texts(plan)).toEqual([
      'check invoices (window 2 days)',
      'create a temporary instance',
      'open the network',
      'ask again',
      'INSERT the missing rows into invoices',
      'report',
      'whatever happens: close the network',
      'whatever happens: delete the temporary instance',
    ]);
    expect(plan.filter((line) => line.irreversible).map((line) => line.step)).toEqual(['merge']);
    expect(plan.filter((line) => line.cleanup).map((line) => line.step)).toEqual([
      'open',
      'create',
    ]);
  });

  it('leaves out the steps that do not run for this input (`when`)', () => {
    const plan = planOf(runbook, { mode: 'side', table: 't' }, { window: 'w' });
    expect(plan.map((line) => line.step)).toEqual([
      'check',
      'create',
      'open',
      'report',
      'open',
      'create',
    ]);
    expect(plan.some((line) => line.irreversible)).toBe(false);
  });

  it('shows a step added to the runbook, without anything else to change', () => {
    const grown = defineRunbook<Input, object, Facts>({
      name: 'test',
      input: runbook.input,
      steps: [
        ...steps.slice(0, 2),
        step<Input, object, Facts>('snapshot', noop, {
          describe: () => md`snapshot production`,
          irreversible: true,
        }),
        ...steps.slice(2),
      ],
    });
    const plan = planOf(grown, { mode: 'side', table: 't' }, { window: 'w' });
    expect(plan[2]).toEqual({
      step: 'snapshot',
      text: expect.objectContaining({ text: 'snapshot production' }),
      irreversible: true,
    });
    expect(plan.map((line) => line.step)).toEqual(
      [...activeSteps(grown, { mode: 'side', table: 't' })]
        .map((s) => s.name)
        .concat('open', 'create'),
    );
  });

  it('after a step (a mid-run approval): the steps that follow it, and every cleanup', () => {
    const plan = planOf(
      runbook,
      { mode: 'merge', table: 't' },
      { window: 'w' },
      { after: 'approve' },
    );
    expect(plan.map((line) => line.step)).toEqual(['merge', 'report', 'open', 'create']);
    expect(() =>
      planOf(runbook, { mode: 'side', table: 't' }, { window: 'w' }, { after: 'approve' }),
    ).toThrow(/has no step approve for this input/);
  });

  it('numbers the lines and marks the irreversible ones', () => {
    const lines = planLines(planOf(runbook, { mode: 'merge', table: 't' }, { window: 'w' }));
    expect(lines.map((line) => line.text)).toContain(
      '5. :warning: *irreversible:* INSERT the missing rows into t',
    );
    expect(lines[0]!.text).toBe('1. check t (window w)');
    expect(lines).toHaveLength(8);
  });

  it('escapes outside text in a description (the rendering layer)', () => {
    const plan = planOf(runbook, { mode: 'side', table: '<!channel>' }, { window: 'a & b' });
    expect(plan[0]!.text.text).toBe('check &lt;!channel&gt; (window a &amp; b)');
  });
});

describe('defineRunbook', () => {
  it('refuses a step that does not describe itself for the plan, and duplicate names', () => {
    const undescribed = { ...steps[0]!, describe: undefined } as unknown as StepDefinition<
      Input,
      object,
      Facts
    >;
    expect(() =>
      defineRunbook<Input, object, Facts>({
        name: 'x',
        input: runbook.input,
        steps: [undescribed],
      }),
    ).toThrow(/step check does not describe itself for the plan/);
    expect(() =>
      defineRunbook<Input, object, Facts>({
        name: 'x',
        input: runbook.input,
        steps: [steps[0]!, steps[0]!],
      }),
    ).toThrow(/duplicate step name check/);
  });
});
