import type {
  ActionsBlock,
  Button,
  ContextBlock,
  HeaderBlock,
  KnownBlock,
  SectionBlock,
} from '@slack/types';
import { asPlainText, plainText, truncate, type Mrkdwn } from './mrkdwn';

/**
 * Block Kit built from `Mrkdwn` (the rendering layer): a `Block` can only come from these
 * builders, so no block carries text that skipped the escaping. Lengths are cut to Slack's
 * limits (section text 3000, header 150, button text 75, button value 2000, context 10 elements).
 */
declare const BUILT: unique symbol;
export type Block = KnownBlock & { readonly [BUILT]: true };

const built = <T extends KnownBlock>(block: T): Block => block as unknown as Block;

/** Slack refuses an empty text object; an empty value (nothing left of a name, say) shows as a dash. */
const filled = (text: string): string => (text === '' ? '—' : text);

export const LIMITS = {
  sectionText: 3000,
  headerText: 150,
  buttonText: 75,
  buttonValue: 2000,
  contextElements: 10,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  actionsElements: 25,
  messageBlocks: 50,
  homeBlocks: 100,
} as const;

/** A section of text, with a button beside it when given (the Home tab's Cancel). */
export function section(body: Mrkdwn, accessory?: Button): Block {
  const block: SectionBlock = {
    type: 'section',
    text: { type: 'mrkdwn', text: filled(truncate(body, LIMITS.sectionText).text) },
    ...(accessory && { accessory }),
  };
  return built(block);
}

export function header(title: string): Block {
  const block: HeaderBlock = {
    type: 'header',
    text: { type: 'plain_text', text: filled(plainText(title, LIMITS.headerText)) },
  };
  return built(block);
}

/** A context line of one or more elements (Slack refuses an empty one). */
export function context(first: Mrkdwn, ...more: Mrkdwn[]): Block {
  const block: ContextBlock = {
    type: 'context',
    elements: [first, ...more].slice(0, LIMITS.contextElements).map((element) => ({
      type: 'mrkdwn' as const,
      text: filled(truncate(element, LIMITS.sectionText).text),
    })),
  };
  return built(block);
}

export interface ButtonSpec {
  actionId: string;
  label: string;
  value: string;
  style?: 'primary' | 'danger';
  /** A confirm dialog shown before the click counts. */
  confirm?: {
    title: string;
    text: Mrkdwn | string;
    confirm: string;
    deny: string;
    style?: 'primary' | 'danger';
  };
}

export function button(spec: ButtonSpec): Button {
  if (spec.value.length > LIMITS.buttonValue)
    throw new RangeError(`a button value is at most ${LIMITS.buttonValue} characters`);
  const confirmText = spec.confirm?.text;
  return {
    type: 'button',
    action_id: spec.actionId,
    text: { type: 'plain_text', text: filled(plainText(spec.label, LIMITS.buttonText)) },
    value: spec.value,
    ...(spec.style && { style: spec.style }),
    ...(spec.confirm && {
      confirm: {
        title: {
          type: 'plain_text',
          text: filled(plainText(spec.confirm.title, LIMITS.confirmTitle)),
        },
        // Slack shows a confirm dialog's text as plain text.
        text: {
          type: 'plain_text',
          text: filled(
            typeof confirmText === 'string'
              ? plainText(confirmText, LIMITS.confirmText)
              : asPlainText(confirmText!, LIMITS.confirmText),
          ),
        },
        confirm: {
          type: 'plain_text',
          text: filled(plainText(spec.confirm.confirm, LIMITS.confirmButton)),
        },
        deny: {
          type: 'plain_text',
          text: filled(plainText(spec.confirm.deny, LIMITS.confirmButton)),
        },
        ...(spec.confirm.style && { style: spec.confirm.style }),
      },
    }),
  };
}

export function actions(elements: Button[], blockId?: string): Block {
  const block: ActionsBlock = {
    type: 'actions',
    ...(blockId !== undefined && { block_id: blockId }),
    elements: elements.slice(0, LIMITS.actionsElements),
  };
  return built(block);
}

/** Blocks read back from a store the bot wrote (an outbox entry): built here before they were stored. */
export function storedBlocks(blocks: KnownBlock[]): Block[] {
  return blocks as unknown as Block[];
}
