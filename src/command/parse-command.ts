import { parseArgs } from 'node:util';
import { UsageError } from '../errors';
import type { CommandModule, SubcommandSpec } from './define-command';
import { hiddenCharacterProblem } from '../util/hidden-characters';
import { tokenize, TokenizeError } from './tokenize';

export interface ParsedCommand {
  subcommand: SubcommandSpec;
  input: unknown;
}

/** The usage lines of every subcommand, for errors that cannot name a single one. */
export function commandUsage(module: CommandModule): string {
  return module.subcommands.map((sub) => sub.usage).join('\n');
}

/**
 * Turns `/name <text>` into a validated subcommand input, or throws a UsageError that says
 * exactly what is wrong and shows the right usage. Pure: nothing is touched.
 */
export function parseCommand(module: CommandModule, text: string): ParsedCommand {
  let words: string[];
  try {
    words = tokenize(text);
  } catch (error) {
    if (error instanceof TokenizeError) {
      throw new UsageError(error.message, commandUsage(module), { cause: error });
    }
    throw error;
  }

  const first = words[0];
  let sub = first === undefined ? undefined : module.subcommands.find((s) => s.name === first);
  if (sub) {
    words = words.slice(1);
  } else if (
    module.defaultSubcommand &&
    (first === undefined || !isSubcommandLike(module, first))
  ) {
    sub = module.subcommands.find((s) => s.name === module.defaultSubcommand);
  }
  if (!sub) {
    const what = first === undefined ? 'a subcommand is missing' : `unknown subcommand "${first}"`;
    throw new UsageError(`/${module.name}: ${what}`, commandUsage(module));
  }
  return { subcommand: sub, input: parseSubcommand(sub, words) };
}

/** A bare word that is not a known subcommand is treated as a typo only without a default. */
function isSubcommandLike(module: CommandModule, word: string): boolean {
  return !module.defaultSubcommand && /^[a-z][a-z-]*$/.test(word);
}

function parseSubcommand(sub: SubcommandSpec, words: string[]): unknown {
  const options = sub.options ?? {};
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(words, options),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(describeParseArgsError(error, options), sub.usage, { cause: error });
  }

  const names = sub.positionals ?? [];
  const values: Record<string, unknown> = { ...parsed.values };
  const { positionals } = parsed;
  names.forEach((name, index) => {
    if (name.endsWith('...')) values[name.slice(0, -3)] = positionals.slice(index);
    else if (index < positionals.length) values[name] = positionals[index];
  });
  const variadic = names.some((name) => name.endsWith('...'));
  if (!variadic && positionals.length > names.length) {
    const extra = positionals.slice(names.length);
    throw new UsageError(
      `unexpected argument${extra.length > 1 ? 's' : ''}: ${extra.join(' ')}`,
      sub.usage,
    );
  }

  const label = (field: string) =>
    field && options[field] ? `--${field}` : field ? `<${field}>` : 'input';
  const hidden = hiddenCharacterProblems(sub, values);
  if (hidden.length > 0) {
    throw new UsageError(
      hidden.map(([field, problem]) => `${label(field)}: ${problem}`).join('; '),
      sub.usage,
    );
  }

  const result = sub.schema.safeParse(values);
  if (!result.success) {
    const messages = result.error.issues.map((issue) => {
      const field = issue.path.map(String).join('.');
      if (issue.code === 'invalid_type' && values[field] === undefined)
        return `${label(field)} is missing`;
      return `${label(field)}: ${issue.message}`;
    });
    throw new UsageError(messages.join('; '), sub.usage, { cause: result.error });
  }
  return result.data;
}

/**
 * Every argument but the subcommand's free text, checked for invisible and bidirectional
 * control characters before its schema sees it: [argument, problem] for each one that has some.
 */
function hiddenCharacterProblems(
  sub: SubcommandSpec,
  values: Record<string, unknown>,
): [string, string][] {
  const free = new Set(sub.freeText ?? []);
  return Object.entries(values).flatMap(([field, value]): [string, string][] => {
    if (free.has(field)) return [];
    const texts = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
    for (const text of texts) {
      const problem = typeof text === 'string' ? hiddenCharacterProblem(text) : null;
      if (problem) return [[field, problem]];
    }
    return [];
  });
}

function describeParseArgsError(error: unknown, options: Record<string, unknown>): string {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message;
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const known = Object.keys(options).map((name) => `--${name}`);
      return `unknown option ${option ?? ''}${known.length ? ` (known: ${known.join(', ')})` : ''}`.trim();
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (message.includes('does not take an argument')) return `${option} does not take a value`;
      if (message.includes('ambiguous'))
        return `${option} needs a value; for one starting with "-" write ${option}=-…`;
      return `${option} needs a value`;
    default:
      return message;
  }
}

/** `--offset -5` means the value -5, as a user expects; parseArgs alone would call it ambiguous. */
function joinNegativeValues(words: string[], options: Record<string, { type: string }>): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const next = words[i + 1];
    const name = word.startsWith('--') ? word.slice(2) : undefined;
    if (name && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${word}=${next}`);
      i++;
    } else {
      out.push(word);
    }
  }
  return out;
}
