import { AccessConfig } from '../../../src/config/access';
import { parseConfig } from '../../../src/config/load-config';

describe('access config', () => {
  it('defaults to no groups and no rules (everything denied), a 15 minute approval TTL and user groups cached 5 minutes', () => {
    const config = parseConfig('');
    expect(config.access).toEqual({
      groups: {},
      rules: [],
      approvalTtlMinutes: 15,
      userGroupCacheSeconds: 300,
      reviewReminderSeconds: 86400,
    });
  });

  it('breakGlass: a known group, on a rule with an approval, reviewed within a duration (24h by default)', () => {
    const groups = { ops: { users: ['U1AAA'] }, oncall: { users: ['U2BBB'] } };
    const rule = { command: 'deploy', targets: ['*'], groups: ['ops'] };
    const access = AccessConfig.parse({
      groups,
      rules: [
        { ...rule, approval: { group: 'ops' }, breakGlass: { group: 'oncall' } },
        {
          ...rule,
          approval: { group: 'ops' },
          breakGlass: { group: 'oncall', reviewWithin: '90m' },
        },
      ],
    });
    expect(access.rules.map((r) => r.breakGlass)).toEqual([
      { group: 'oncall', reviewWithin: 24 * 3600_000 },
      { group: 'oncall', reviewWithin: 90 * 60_000 },
    ]);
    const problems = (rules: unknown[]) => {
      const parsed = AccessConfig.safeParse({ groups, rules });
      return parsed.success
        ? []
        : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(problems([{ ...rule, breakGlass: { group: 'oncall' } }])).toEqual([
      'rules.0.breakGlass: needs an approval on the same rule: break glass skips that approval, and its approvers review the emergency',
    ]);
    expect(
      problems([{ ...rule, approval: { group: 'ops' }, breakGlass: { group: 'nobody' } }]),
    ).toEqual(['rules.0.breakGlass.group: unknown group (defined groups: ops, oncall)']);
    expect(
      problems([
        {
          ...rule,
          approval: { group: 'ops' },
          breakGlass: { group: 'oncall', reviewWithin: '1 day' },
        },
      ]),
    ).toEqual(['rules.0.breakGlass.reviewWithin: must be a duration such as 30m, 24h or 2d']);
    expect(
      problems([
        {
          ...rule,
          approval: { group: 'ops' },
          breakGlass: { group: 'oncall', reviewWithin: '60d' },
        },
      ]),
    ).toEqual(['rules.0.breakGlass.reviewWithin: must be between 1s and 30d']);
  });

  it('fills inner defaults of groups and rules', () => {
    const access = AccessConfig.parse({
      groups: { dba: { users: ['U1AAA'] } },
      rules: [
        { command: 'restore-table', targets: ['*'], groups: ['dba'], approval: { group: 'dba' } },
      ],
    });
    expect(access.groups.dba).toEqual({ users: ['U1AAA'], usergroups: [] });
    expect(access.rules[0]).toMatchObject({
      readOnly: false,
      approval: { group: 'dba', distinct: false },
    });
  });

  it('names the path of a rule that refers to an unknown group', () => {
    const yaml = [
      'access:',
      '  groups:',
      '    dba: { users: [U1AAA] }',
      '  rules:',
      '    - { command: restore-table, targets: ["*"], groups: [dba, dbas] }',
      '    - { command: ops ping, groups: [dba], approval: { group: platform } }',
    ].join('\n');
    expect(() => parseConfig(yaml, 'opsdeck.yaml')).toThrow(
      'access.rules.0.groups.1: unknown group (defined groups: dba), got "dbas"',
    );
    expect(() => parseConfig(yaml)).toThrow(
      'access.rules.1.approval.group: unknown group (defined groups: dba), got "platform"',
    );
  });

  it('checks the admins group too', () => {
    expect(() => parseConfig('access:\n  admins: ops\n')).toThrow(
      'access.admins: unknown group (defined groups: none), got "ops"',
    );
  });

  it('rejects malformed ids and unknown settings', () => {
    expect(() => parseConfig('access:\n  groups:\n    dba: { users: [alice] }\n')).toThrow(
      /access\.groups\.dba\.users\.0: must be a Slack user id/,
    );
    expect(() =>
      parseConfig('access:\n  rules:\n    - { command: x, groups: [a], channel: ["#ops"] }\n'),
    ).toThrow('access.rules.0.channel: unknown setting');
    expect(() =>
      parseConfig(
        'access:\n  groups: { a: {} }\n  rules:\n    - { command: x, groups: [a], channels: [ops] }\n',
      ),
    ).toThrow(/access\.rules\.0\.channels\.0: must be a channel id/);
  });
});
