import { resolve } from 'node:path';
import { ACCESS_SEMANTICS, JOB_ACCESS } from '../approvals/access-policy';
import { reviewAccessRules } from '../approvals/access-report';
import { runAuditCli } from '../audit/cli';
import { commandName } from '../command/define-command';
import { loadConfig } from '../config/load-config';
import { describeError } from '../errors';
import { loadCommands } from './load-modules';

const USAGE = [
  'usage: opsdeck <command>',
  '  config check [<file>]       validate a config file (default: $OPSDECK_CONFIG or ./opsdeck.yaml); starts nothing',
  '  audit verify                check the audit trail: hash chain, and signed digests (audit.anchor)',
  '  audit keygen [--output <f>] a new Ed25519 key pair for audit.anchor',
  '  audit export --since <t> --until <t> [--actor <id>] [--command <name>] --format md|csv|json',
  '  worker [--role runbooks|feeds|all]   run a worker until stopped (bin/opsdeck; no role: runbooks here, feeds in a child process)',
].join('\n');

/** `opsdeck …`: operator commands that run and exit. Returns the exit code. */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [area, ...rest] = argv;
  if (area === 'config' && rest[0] === 'check' && rest.length <= 2) {
    const file = rest[1];
    const { path, config } = loadConfig(file ? { ...env, OPSDECK_CONFIG: resolve(file) } : env);
    console.log(`${path ?? 'no config file: the defaults'} is valid`);
    console.log(`\n${ACCESS_SEMANTICS}\n\n${JOB_ACCESS}`);
    const names = loadCommands().all.flatMap((module) =>
      module.subcommands.map((sub) => commandName(module, sub)),
    );
    const findings = reviewAccessRules(config.access, names);
    for (const finding of findings) console.log(`\nwarning: ${finding.message}`);
    return 0;
  }
  if (area === 'audit') return runAuditCli(rest, loadConfig(env).config);
  console.error(USAGE);
  return area === undefined || area === 'help' || area === '--help' ? 0 : 2;
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
