import restoreTable from '../../../jobs/restore-table';
import { RestoreTableInput } from '../../../src/restore/restore-input';
import { planOf } from '../../../src/runbook/plan-of';

/**
 * What `/restore-table`'s plan says about the data-safety steps of issue 17 point 5, from the
 * runbook that will run: the INSERT triggers a merge fires (the planner's facts), and the
 * AUTO_INCREMENT a replace sets.
 */
const facts = {
  sourceInstance: 'production-db',
  securityGroupIds: [],
  insertTriggers: [
    { name: 'audit_insert', timing: 'AFTER' },
    { name: 'stamp', timing: 'BEFORE' },
  ],
};
const input = (mode: 'merge' | 'replace', fireTriggers: boolean) =>
  RestoreTableInput.parse({
    database: 'billing',
    schema: 'billing',
    table: 'invoices',
    at: '2025-11-21T15:59:30Z',
    mode,
    keepInstance: false,
    fireTriggers,
  });
const lines = (mode: 'merge' | 'replace', fireTriggers: boolean) =>
  new Map(
    planOf(restoreTable, input(mode, fireTriggers), facts).map((line) => [
      line.step,
      line.text.toString(),
    ]),
  );

describe("/restore-table's plan", () => {
  it('a merge with --fire-triggers names the triggers in the approval step and the apply step', () => {
    const plan = lines('merge', true);
    expect(plan.get('approve-apply')).toContain(
      'the INSERT triggers it fires (--fire-triggers): audit_insert (AFTER INSERT), stamp (BEFORE INSERT)',
    );
    expect(plan.get('apply')).toContain(
      "the INSERT fires production's INSERT triggers once for every row (--fire-triggers): audit_insert (AFTER INSERT), stamp (BEFORE INSERT)",
    );
  });

  it('a merge of a table without triggers mentions none', () => {
    const plan = planOf(restoreTable, input('merge', false), { ...facts, insertTriggers: [] });
    expect(plan.map((line) => line.text.toString()).join('\n')).not.toContain('trigger');
  });

  it("a replace says the restored table's AUTO_INCREMENT goes above production's", () => {
    expect(lines('replace', false).get('apply')).toContain(
      "set the restored table's AUTO_INCREMENT above production's (its counter or highest id + 1, read just before the swap), then swap atomically",
    );
  });
});
