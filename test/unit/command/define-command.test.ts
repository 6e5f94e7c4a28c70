import { z } from 'zod';
import { commandName, defineCommand, subcommand } from '../../../src/command/define-command';
import { md } from '../../../src/slack/mrkdwn';

const sub = (name: string) =>
  subcommand({
    name,
    usage: `/x ${name}`,
    summary: name,
    schema: z.object({}),
    plan: () => ({ kind: 'reply', text: md`` }),
  });

describe('commandName', () => {
  it('is the command alone for the subcommand named like it, `<command> <sub>` for the others', () => {
    const seed = defineCommand({
      name: 'seed-slave',
      summary: 'seed',
      subcommands: [sub('seed-slave'), sub('status')],
    });
    expect(commandName(seed, seed.subcommands[0]!)).toBe('seed-slave');
    expect(commandName(seed, seed.subcommands[1]!)).toBe('seed-slave status');
    const ops = defineCommand({ name: 'ops', summary: 'ops', subcommands: [sub('ping')] });
    expect(commandName(ops, ops.subcommands[0]!)).toBe('ops ping');
  });
});
