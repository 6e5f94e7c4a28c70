/**
 * Block Kit's limits as Slack enforces them (api.slack.com/reference/block-kit: blocks,
 * block-elements, composition-objects, surfaces), checked the way Slack checks a message or a
 * view: each violation is one line in Slack's own form, `must be less than 3001 characters
 * [json-pointer:/blocks/0/text/text]`. The fake Slack Web API refuses a message or view with any
 * (`invalid_blocks`), so every message the bot builds in any test meets them.
 */

export type Surface = 'message' | 'modal' | 'home';

const MAX_BLOCKS: Record<Surface, number> = { message: 50, modal: 100, home: 100 };

/** Longest text of each place, in characters. */
const TEXT = {
  sectionText: 3000,
  sectionField: 2000,
  headerText: 150,
  contextText: 3000,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  actionId: 255,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  optionText: 75,
  optionValue: 150,
  placeholder: 150,
  inputLabel: 2000,
  inputHint: 2000,
} as const;

const COUNT = {
  sectionFields: 10,
  contextElements: 10,
  actionsElements: 25,
  options: 100,
  optionGroups: 100,
} as const;

type Json = Record<string, unknown>;

export function blockKitViolations(blocks: unknown, surface: Surface = 'message'): string[] {
  const found: string[] = [];
  const check = new Checker(found);
  if (!Array.isArray(blocks)) return ['must be an array [json-pointer:/blocks]'];
  check.count(blocks, MAX_BLOCKS[surface], '/blocks');
  blocks.forEach((block, i) => check.block(block, `/blocks/${i}`));
  return found;
}

class Checker {
  constructor(private readonly found: string[]) {}

  block(block: unknown, at: string): void {
    if (!isObject(block)) return this.fail('must be an object', at);
    this.optionalText(block.block_id, TEXT.blockId, `${at}/block_id`);
    switch (block.type) {
      case 'section':
        if (block.text !== undefined) this.textObject(block.text, TEXT.sectionText, `${at}/text`);
        if (Array.isArray(block.fields)) {
          this.count(block.fields, COUNT.sectionFields, `${at}/fields`);
          block.fields.forEach((field, i) =>
            this.textObject(field, TEXT.sectionField, `${at}/fields/${i}`),
          );
        }
        if (block.text === undefined && block.fields === undefined)
          this.fail('must provide either text or fields', at);
        if (block.accessory !== undefined) this.element(block.accessory, `${at}/accessory`);
        return;
      case 'header':
        return this.textObject(block.text, TEXT.headerText, `${at}/text`, 'plain_text');
      case 'context':
        return this.elements(block.elements, COUNT.contextElements, `${at}/elements`, (e, p) =>
          isObject(e) && e.type === 'image' ? undefined : this.textObject(e, TEXT.contextText, p),
        );
      case 'actions':
        return this.elements(block.elements, COUNT.actionsElements, `${at}/elements`, (e, p) =>
          this.element(e, p),
        );
      case 'input':
        this.textObject(block.label, TEXT.inputLabel, `${at}/label`, 'plain_text');
        if (block.hint !== undefined)
          this.textObject(block.hint, TEXT.inputHint, `${at}/hint`, 'plain_text');
        return this.element(block.element, `${at}/element`);
      case 'divider':
        return;
      default:
        return this.fail(`unsupported type ${JSON.stringify(block.type)}`, `${at}/type`);
    }
  }

  element(element: unknown, at: string): void {
    if (!isObject(element)) return this.fail('must be an object', at);
    this.optionalText(element.action_id, TEXT.actionId, `${at}/action_id`);
    if (element.confirm !== undefined) this.confirm(element.confirm, `${at}/confirm`);
    if (element.placeholder !== undefined)
      this.textObject(element.placeholder, TEXT.placeholder, `${at}/placeholder`, 'plain_text');
    if (element.type === 'button') {
      this.textObject(element.text, TEXT.buttonText, `${at}/text`, 'plain_text');
      this.optionalText(element.value, TEXT.buttonValue, `${at}/value`);
      this.optionalText(element.url, TEXT.buttonUrl, `${at}/url`);
    }
    if (Array.isArray(element.options)) {
      this.count(element.options, COUNT.options, `${at}/options`);
      element.options.forEach((option, i) => this.option(option, `${at}/options/${i}`));
    }
    if (Array.isArray(element.option_groups))
      this.count(element.option_groups, COUNT.optionGroups, `${at}/option_groups`);
  }

  option(option: unknown, at: string): void {
    if (!isObject(option)) return this.fail('must be an object', at);
    this.textObject(option.text, TEXT.optionText, `${at}/text`);
    this.optionalText(option.value, TEXT.optionValue, `${at}/value`);
  }

  confirm(confirm: unknown, at: string): void {
    if (!isObject(confirm)) return this.fail('must be an object', at);
    this.textObject(confirm.title, TEXT.confirmTitle, `${at}/title`, 'plain_text');
    this.textObject(confirm.text, TEXT.confirmText, `${at}/text`);
    this.textObject(confirm.confirm, TEXT.confirmButton, `${at}/confirm`, 'plain_text');
    this.textObject(confirm.deny, TEXT.confirmButton, `${at}/deny`, 'plain_text');
  }

  elements(
    elements: unknown,
    max: number,
    at: string,
    each: (element: unknown, at: string) => void,
  ): void {
    if (!Array.isArray(elements) || elements.length === 0)
      return this.fail('must provide at least 1 item', at);
    this.count(elements, max, at);
    elements.forEach((element, i) => each(element, `${at}/${i}`));
  }

  textObject(text: unknown, max: number, at: string, only?: 'plain_text'): void {
    if (!isObject(text) || typeof text.text !== 'string')
      return this.fail('must be a text object', at);
    if (text.type !== (only ?? text.type) || (text.type !== 'plain_text' && text.type !== 'mrkdwn'))
      return this.fail(`must be ${only ?? 'plain_text or mrkdwn'}`, `${at}/type`);
    if (text.text.length === 0) return this.fail('must be more than 0 characters', `${at}/text`);
    this.length(text.text, max, `${at}/text`);
  }

  optionalText(value: unknown, max: number, at: string): void {
    if (typeof value === 'string') this.length(value, max, at);
  }

  length(value: string, max: number, at: string): void {
    if (value.length > max) this.fail(`must be less than ${max + 1} characters`, at);
  }

  count(items: unknown[], max: number, at: string): void {
    if (items.length > max) this.fail(`must be no more than ${max} items`, at);
  }

  fail(message: string, at: string): void {
    this.found.push(`${message} [json-pointer:${at}]`);
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
