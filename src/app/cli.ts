import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ACCESS_SEMANTICS, BREAK_GLASS, JOB_ACCESS } from '../approvals/access-policy';
import { reviewAccessRules } from '../approvals/access-report';
import { runAuditCli } from '../audit/cli';
import { AWS_COMMANDS, policyText, type AwsCommand } from '../aws/iam-policies';
import { commandName } from '../command/define-command';
import { configJsonSchemaText } from '../config/json-schema';
import { loadConfig } from '../config/load-config';
import { describeError } from '../errors';
import { awsCommandsInUse, checkAwsPermissions, formatAwsCheckLine } from './aws-check';
import { checkConnections, formatConnectionLine } from './connection-check';
import { loadCommands } from './load-modules';

const USAGE = [
  'usage: opsdeck <command>',
  '  config check [<file>] [--connect]   validate a config file (default: $OPSDECK_CONFIG or ./opsdeck.yaml); starts nothing',
  '                              --connect: then open every connection it names (MySQL, Redis, Slack, AWS, databases, replicas), a line each',
  '  config schema [<file>]      write the config file JSON Schema (for editors) to <file>, else to stdout',
  '  audit verify                check the audit trail: hash chain, and signed digests (audit.anchor)',
  '  audit keygen [--output <f>] a new Ed25519 key pair for audit.anchor',
  '  audit export --since <t> --until <t> [--actor <id>] [--command <name>] --format md|csv|json',
  '  aws check [--all | <command>...]   which AWS permissions the credentials lack, one line per action',
  `                              (default: the commands the config sets up; commands: ${AWS_COMMANDS.join(', ')})`,
  '  aws policy <command>        the least-privilege IAM policy of a command (docs/iam/<command>.json)',
  '  worker [--role runbooks|feeds|all]   run a worker until stopped (bin/opsdeck; no role: runbooks here, feeds in a child process)',
].join('\n');

/** `opsdeck …`: operator commands that run and exit. Returns the exit code. */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [area, ...rest] = argv;
  if (area === 'config' && rest[0] === 'check') {
    const connect = rest.includes('--connect');
    const files = rest.slice(1).filter((arg) => arg !== '--connect');
    if (files.length <= 1 && !files.some((file) => file.startsWith('-'))) {
      const file = files[0];
      const fileEnv = file ? { ...env, OPSDECK_CONFIG: resolve(file) } : env;
      const { path, config } = loadConfig(fileEnv);
      console.log(`${path ?? 'no config file: the defaults'} is valid`);
      // With --connect, a line per connection first (what the operator asked for), then the
      // access rules' meaning and what looks wrong in them.
      const lines = connect ? await checkConnections(config, fileEnv) : [];
      for (const line of lines) console.log(formatConnectionLine(line));
      console.log(`\n${ACCESS_SEMANTICS}\n\n${JOB_ACCESS}\n\n${BREAK_GLASS}`);
      const names = loadCommands().all.flatMap((module) =>
        module.subcommands.map((sub) => commandName(module, sub)),
      );
      for (const finding of reviewAccessRules(config.access, names)) {
        console.log(`\nwarning: ${finding.message}`);
      }
      return lines.some((line) => line.status === 'FAIL') ? 1 : 0;
    }
  }
  if (area === 'config' && rest[0] === 'schema' && rest.length <= 2) {
    const file = rest[1];
    if (file === undefined) process.stdout.write(configJsonSchemaText());
    else {
      writeFileSync(file, configJsonSchemaText());
      console.log(`wrote the config schema to ${file}`);
    }
    return 0;
  }
  if (area === 'aws' && rest[0] === 'policy' && rest.length === 2 && isAwsCommand(rest[1])) {
    process.stdout.write(policyText(rest[1]));
    return 0;
  }
  if (
    area === 'aws' &&
    rest[0] === 'check' &&
    rest.slice(1).every((a) => a === '--all' || isAwsCommand(a))
  ) {
    return awsCheck(rest.slice(1), env);
  }
  if (area === 'audit') return runAuditCli(rest, loadConfig(env).config);
  console.error(USAGE);
  return area === undefined || area === 'help' || area === '--help' ? 0 : 2;
}

function isAwsCommand(text: string | undefined): text is AwsCommand {
  return (AWS_COMMANDS as readonly string[]).includes(text ?? '');
}

/** Exit code 1 when a permission is missing or could not be checked for an error, else 0. */
async function awsCheck(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { config } = loadConfig(env);
  const named = args.filter(isAwsCommand);
  const commands = args.includes('--all')
    ? [...AWS_COMMANDS]
    : named.length > 0
      ? named
      : awsCommandsInUse(config);
  if (commands.length === 0) {
    console.log(
      'no command of this config calls AWS (no databases, replicas, phz zones or EC2 deploy targets); --all checks them all',
    );
    return 0;
  }
  const lines = await checkAwsPermissions(config, commands, env);
  for (const line of lines) console.log(formatAwsCheckLine(line));
  const count = (status: string) => lines.filter((l) => l.result.status === status).length;
  console.log(
    `${count('allowed')} allowed, ${count('missing')} missing, ${count('not-checked')} not checkable without a change, ${count('error')} errors (${commands.map((c) => `/${c}`).join(', ')}; policies: docs/iam/<command>.json)`,
  );
  return count('missing') + count('error') > 0 ? 1 : 0;
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`opsdeck: ${describeError(error)}`);
      process.exit(1);
    },
  );
}
