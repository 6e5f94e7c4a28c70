import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { runAuditCli } from '../audit/cli';
import { configJsonSchemaText } from '../config/json-schema';
import { loadConfig } from '../config/load-config';
import { describeError } from '../errors';
import { runSandboxCli } from '../sandbox/cli';

const USAGE = [
  'usage: opsdeck <command>',
  '  config check [<file>]       validate a config file (default: $OPSDECK_CONFIG or ./opsdeck.yaml); starts nothing',
  '  config schema [<file>]      write the config file JSON Schema (for editors) to <file>, else to stdout',
  '  audit verify                check the audit trail hash chain',
  '  audit export --since <t> --until <t> [--actor <id>] [--command <name>] --format md|csv|json',
  '  sandbox start|reset|seed [--big]',
].join('\n');

/** `opsdeck …`: operator commands that run and exit. Returns the exit code. */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [area, ...rest] = argv;
  if (area === 'config' && rest[0] === 'check' && rest.length <= 2) {
    const file = rest[1];
    const { path } = loadConfig(file ? { ...env, OPSDECK_CONFIG: resolve(file) } : env);
    console.log(`${path ?? 'no config file: the defaults'} is valid`);
    return 0;
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
  if (area === 'audit') return runAuditCli(rest, loadConfig(env).config);
  if (area === 'sandbox') return runSandboxCli(rest, loadConfig(env).config);
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
