import type { KnownBlock } from '@slack/types';
import type { Block } from './blocks';
import { plainText } from './mrkdwn';

/**
 * The inputs of a modal (Block Kit `input` blocks: text, static and external selects, radio
 * buttons, checkboxes) and the modal itself, cut to Slack's limits like the message blocks of
 * blocks.ts: labels and option texts are plain text (Slack shows them as they are), options at
 * most 100 per select (past that a select is an external one, its options suggested as typed).
 * Each input's block_id and action_id are its field name, so a submission's
 * `view.state.values[name][name]` is the field's value.
 */

const INPUT_LIMITS = {
  title: 24,
  submit: 24,
  close: 24,
  label: 2000,
  hint: 2000,
  placeholder: 150,
  optionText: 75,
  optionDescription: 75,
  optionValue: 150,
  options: 100,
  privateMetadata: 3000,
  blocks: 100,
} as const;

export interface InputOption {
  label: string;
  value: string;
  description?: string;
}

interface InputCommon {
  name: string;
  label: string;
  hint?: string;
  optional?: boolean;
  /** A choice here is sent to the bot at once (block_actions), so it can redraw the form. */
  dispatch?: boolean;
}

const built = (block: Record<string, unknown>): Block => block as unknown as Block;

const plain = (text: string, max: number) => ({
  type: 'plain_text' as const,
  text: plainText(text, max) || '—',
});

function option(o: InputOption) {
  if (o.value.length > INPUT_LIMITS.optionValue)
    throw new RangeError(`an option value is at most ${INPUT_LIMITS.optionValue} characters`);
  return {
    text: plain(o.label, INPUT_LIMITS.optionText),
    value: o.value,
    ...(o.description && { description: plain(o.description, INPUT_LIMITS.optionDescription) }),
  };
}

function input(common: InputCommon, element: Record<string, unknown>): Block {
  return built({
    type: 'input',
    block_id: common.name,
    label: plain(common.label, INPUT_LIMITS.label),
    ...(common.hint && { hint: plain(common.hint, INPUT_LIMITS.hint) }),
    ...(common.optional && { optional: true }),
    ...(common.dispatch && { dispatch_action: true }),
    element: { action_id: common.name, ...element },
  });
}

export function textInput(spec: InputCommon & { initial?: string; placeholder?: string }): Block {
  return input(spec, {
    type: 'plain_text_input',
    ...(spec.initial && { initial_value: spec.initial }),
    ...(spec.placeholder && { placeholder: plain(spec.placeholder, INPUT_LIMITS.placeholder) }),
  });
}

/**
 * A select of `options`; over 100 of them, an external select whose options the bot suggests
 * (block_suggestion) as the user types.
 */
export function selectInput(
  spec: InputCommon & { options: InputOption[]; initial?: InputOption },
): Block {
  if (spec.options.length > INPUT_LIMITS.options) return externalSelectInput(spec);
  const initial = spec.initial && spec.options.find((o) => o.value === spec.initial!.value);
  return input(spec, {
    type: 'static_select',
    options: spec.options.map(option),
    ...(initial && { initial_option: option(initial) }),
  });
}

/** A select whose options the bot suggests from what is typed (block_suggestion). */
export function externalSelectInput(spec: InputCommon & { initial?: InputOption }): Block {
  return input(spec, {
    type: 'external_select',
    min_query_length: 0,
    ...(spec.initial && { initial_option: option(spec.initial) }),
  });
}

export function radioInput(
  spec: InputCommon & { options: InputOption[]; initial?: string },
): Block {
  const initial = spec.options.find((o) => o.value === spec.initial);
  return input(spec, {
    type: 'radio_buttons',
    options: spec.options.slice(0, 10).map(option),
    ...(initial && { initial_option: option(initial) }),
  });
}

export function checkboxesInput(
  spec: InputCommon & { options: InputOption[]; initial?: readonly string[] },
): Block {
  const initial = spec.options.filter((o) => spec.initial?.includes(o.value));
  return input(spec, {
    type: 'checkboxes',
    options: spec.options.slice(0, 10).map(option),
    ...(initial.length > 0 && { initial_options: initial.map(option) }),
  });
}

/** Options for a block_suggestion answer: at most 100, as Slack takes them. */
export function suggestedOptions(options: InputOption[]): { options: ReturnType<typeof option>[] } {
  return { options: options.slice(0, INPUT_LIMITS.options).map(option) };
}

export interface ModalView {
  type: 'modal';
  callback_id: string;
  title: { type: 'plain_text'; text: string };
  submit?: { type: 'plain_text'; text: string };
  close: { type: 'plain_text'; text: string };
  private_metadata: string;
  blocks: KnownBlock[];
}

export function modalView(spec: {
  callbackId: string;
  title: string;
  submit?: string;
  close?: string;
  privateMetadata: string;
  blocks: Block[];
}): ModalView {
  if (spec.privateMetadata.length > INPUT_LIMITS.privateMetadata)
    throw new RangeError(`private_metadata is at most ${INPUT_LIMITS.privateMetadata} characters`);
  return {
    type: 'modal',
    callback_id: spec.callbackId,
    title: plain(spec.title, INPUT_LIMITS.title),
    ...(spec.submit && { submit: plain(spec.submit, INPUT_LIMITS.submit) }),
    close: plain(spec.close ?? 'Cancel', INPUT_LIMITS.close),
    private_metadata: spec.privateMetadata,
    blocks: spec.blocks.slice(0, INPUT_LIMITS.blocks),
  };
}
