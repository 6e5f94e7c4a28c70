import { BYPASS_GROUPS, RULE_A, RULE_B } from '../../fixtures/access/bypass-rules';
import { AccessConfig } from '../../../src/config/access';
import {
  patternCovers,
  patternsOverlap,
  reviewAccessRules,
} from '../../../src/approvals/access-report';

const COMMANDS = ['restore-table', 'ops ping', 'ops jobs', 'ops cancel', 'deploy', 'deploy status'];
const groups = { ...BYPASS_GROUPS, empty: {} };
const review = (rules: unknown[]) =>
  reviewAccessRules(AccessConfig.parse({ groups, rules }), COMMANDS).map(({ kind, ruleIndex }) => [
    kind,
    ruleIndex,
  ]);

describe('reviewAccessRules (opsdeck config check)', () => {
  const ruleA = RULE_A;
  const ruleB = RULE_B;

  it("reports the issue's rule A as bypassed by B, in either order", () => {
    expect(review([ruleA, ruleB])).toEqual([['was-bypassed', 0]]);
    expect(review([ruleB, ruleA])).toEqual([['was-bypassed', 1]]);
    const [finding] = reviewAccessRules(
      AccessConfig.parse({ groups, rules: [ruleA, ruleB] }),
      COMMANDS,
    );
    expect(finding!.message).toBe(
      "access.rules[0]'s channels (#ops) and approval by platform were bypassed under the old first-match semantics by access.rules[1] (it granted what access.rules[0] refused from another channel); both apply now, so its restrictions hold (such requests may now be refused or wait for approval)",
    );
  });

  it('says nothing of rules that never meet; a restriction the other rule has too is shadowed, not bypassed', () => {
    expect(review([ruleA, { ...ruleB, groups: ['platform'] }])).toEqual([]);
    expect(review([ruleA, { ...ruleB, targets: ['shop', 'prod/*'] }])).toEqual([]);
    expect(
      review([
        { ...ruleA, channels: undefined },
        { ...ruleB, approval: ruleA.approval },
      ]),
    ).toEqual([['shadowed', 0]]);
  });

  it('reports a rule that comes first with a weaker approval', () => {
    expect(
      review([
        { ...ruleB, approval: { group: 'dba' } },
        { ...ruleA, channels: undefined },
      ]),
    ).toEqual([['was-bypassed', 1]]);
  });

  it('reports rules that can never apply: no such command, or groups with no members', () => {
    expect(review([{ command: 'restore-tabel', targets: ['*'], groups: ['dba'] }])).toEqual([
      ['never-applies', 0],
    ]);
    expect(review([{ command: 'ops ping', groups: ['empty'] }])).toEqual([['never-applies', 0]]);
    expect(review([{ command: 'ops ping', groups: ['empty', 'dba'] }])).toEqual([]);
  });

  it('reports a rule another one makes useless (shadowed), and not the other way round', () => {
    expect(
      review([
        { command: 'ops jobs', groups: ['dba'] },
        { command: 'ops *', groups: ['dba', 'platform'] },
      ]),
    ).toEqual([['shadowed', 0]]);
    // A narrower rule that restricts more is not shadowed: it adds a requirement.
    expect(
      review([
        { command: 'ops jobs', groups: ['dba'], channels: ['#ops'] },
        { command: 'ops *', groups: ['dba'] },
      ]),
    ).toEqual([['was-bypassed', 0]]);
    // Equally strict approvals by different groups: the first in the file chooses the group.
    expect(
      review([
        { command: 'ops ping', groups: ['dba'], approval: { group: 'platform' } },
        { command: 'ops *', groups: ['dba'], approval: { group: 'dba' } },
      ]),
    ).toEqual([]);
  });
});

describe('reviewAccessRules and emergencies (breakGlass)', () => {
  const approved = {
    command: 'deploy',
    targets: ['shop/prod'],
    approval: { group: 'platform', distinct: true },
  };

  it('a rule whose groups are empty still applies to the members of its breakGlass group', () => {
    expect(review([{ ...approved, groups: ['empty'] }])).toEqual([['never-applies', 0]]);
    expect(review([{ ...approved, groups: ['empty'], breakGlass: { group: 'dba' } }])).toEqual([]);
    expect(review([{ ...approved, groups: ['empty'], breakGlass: { group: 'empty' } }])).toEqual([
      ['never-applies', 0],
    ]);
  });

  it('a rule naming breakGlass is never said to change nothing: it grants the emergencies', () => {
    const wider = { ...approved, targets: ['shop/*'], groups: ['dba'] };
    expect(review([wider, { ...approved, groups: ['dba'] }])).toEqual([['shadowed', 1]]);
    expect(
      review([wider, { ...approved, groups: ['dba'], breakGlass: { group: 'platform' } }]),
    ).toEqual([]);
  });
});

describe('glob patterns compared as patterns', () => {
  it('overlap when some name matches both', () => {
    expect(patternsOverlap('restore-*', '*-table')).toBe(true);
    expect(patternsOverlap('prod/*', 'staging/*')).toBe(false);
    expect(patternsOverlap('a?c', 'abc')).toBe(true);
    expect(patternsOverlap('a?c', 'ac')).toBe(false);
    expect(patternsOverlap('*', '')).toBe(true);
  });

  it('cover only when every name of one matches the other', () => {
    expect(patternCovers('*', 'prod/*')).toBe(true);
    expect(patternCovers('prod/*', 'prod/billing')).toBe(true);
    expect(patternCovers('prod/*', 'prod/b*')).toBe(true);
    expect(patternCovers('prod/b*', 'prod/*')).toBe(false);
    expect(patternCovers('a?c', 'a*c')).toBe(false);
    expect(patternCovers('billing', 'billing')).toBe(true);
    expect(patternCovers('billing', 'billing*')).toBe(false);
  });
});
