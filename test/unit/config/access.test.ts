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
    });
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
