import type { InputOption } from '../../slack/input-blocks';

/**
 * A form for a command with many options: its fields (each a modal input whose block_id is its
 * name), and the command text they stand for. A submitted form runs that text as if the user had
 * typed it (same parser, access rules, approvals, audit events); the parser's errors go back on
 * the field they name.
 */
export type FormId = 'restore-table' | 'deploy' | 'phz-add';

type FieldKind = 'text' | 'select' | 'suggest' | 'radio' | 'flags';

export interface FormField {
  name: string;
  label: string;
  kind: FieldKind;
  hint?: string;
  placeholder?: string;
  optional?: boolean;
  /** select, radio, flags: the choices (a select of more than 100 is suggested as typed). */
  options?: InputOption[];
  /** A choice here redraws the form (the choices of the fields that depend on it). */
  dispatch?: boolean;
  /** How the parser's messages name this field: `<database>`, `--at`. */
  arguments: readonly string[];
  /** Messages that name no argument but concern this field (a table that does not exist). */
  concerns?: readonly RegExp[];
}

/** A form's values: text and selects as strings, flags as the chosen option values. */
export type FormValues = Record<string, string | readonly string[] | undefined>;

export interface FormSpec {
  id: FormId;
  /** The slash command it fills in, and the typed words before the fields (`add` for /phz add). */
  command: string;
  title: string;
  submit: string;
  fields: readonly FormField[];
  /** The command text the values stand for; `preview` asks for the plan only. */
  text(values: FormValues, preview: boolean): string;
  /** A field's choices given what is chosen so far (the environments of the chosen app). */
  optionsFor?(field: string, values: FormValues): InputOption[] | undefined;
}

/** One word of a command line, quoted when it has to be (the tokenizer reads it back as is). */
export function word(value: string): string {
  return /^[^\s"'\\“”‘’]+$/.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** `--name value`, as typed; `--name=value` for a value that starts with `-` (so it stays the value). */
export function option(name: string, value: string | readonly string[] | undefined): string[] {
  if (typeof value !== 'string' || value === '') return [];
  return value.startsWith('-') ? [word(`--${name}=${value}`)] : [`--${name}`, word(value)];
}

export function flag(values: FormValues, field: string, name: string): string[] {
  const chosen = values[field];
  return Array.isArray(chosen) && chosen.includes(name) ? [`--${name}`] : [];
}

export function text(values: FormValues, field: string): string {
  const value = values[field];
  return typeof value === 'string' ? value.trim() : '';
}
