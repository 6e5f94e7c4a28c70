import { describeError } from '../../src/errors';
import type { FakeSlackApi, RecordedCall } from '../slack/fake-slack-api';
import type { DeliverToBot } from '../slack/slack-delivery';
import type { SlackChannel, SlackUser } from '../slack/slack-payloads';
import {
  blockSuggestionBody,
  messageShortcutBody,
  viewButtonBody,
  viewSelectBody,
  viewSubmissionBody,
  type ViewFills,
} from '../slack/view-payloads';
import { renderView } from './render-view';

/** A message the console printed, by its number (`m3`): what a shortcut is used on. */
export interface PrintedMessage {
  channel: SlackChannel;
  ts: string;
  text: string;
}

export interface ConsoleModalsOptions {
  slack: FakeSlackApi;
  deliver: DeliverToBot;
  write(line: string): void;
  user(): SlackUser;
  message(number: number): PrintedMessage | undefined;
  userNames: Map<string, string>;
}

export const MODAL_HELP = [
  'Shortcuts and forms (modals):',
  '  shortcut <n>            "Restore a table to before this message" on message m<n>',
  '  set <field> <value>     fill a field of the open form (flags: comma-separated)',
  '  suggest <field> [text]  the options the bot suggests for a field as you type',
  '  show                    the open form with what you set',
  "  preview                 press the form's Preview",
  '  submit                  submit the form',
  '  close                   close the form',
].join('\n');

/** The message shortcut's callback_id, as slack-app-manifest.yaml declares it. */
const RESTORE_SHORTCUT = 'restore_before_message';
const PREVIEW_ACTION = 'opsdeck.form.preview';

/**
 * The console's side of shortcuts and modals: it uses the message shortcut on a printed message,
 * shows the modals the bot opens (views.open, views.update) as text, keeps what the user sets in
 * them, and submits, previews or asks for suggestions with the payloads Slack would send
 * (view-payloads.ts), signed or over Socket Mode like every other console request.
 */
export class ConsoleModals {
  private open: { id: string; fills: ViewFills } | undefined;

  constructor(private readonly o: ConsoleModalsOptions) {}

  /** A modal the bot opened or changed (a call to the fake Slack API): shown. */
  onCall(call: RecordedCall): void {
    if (!call.method.startsWith('views.') || call.status !== 200) return;
    const view = (call.response as { ok?: boolean; view?: { id: string } }).view;
    if (!view) return;
    if (call.method === 'views.update') {
      if (this.open?.id !== view.id) return;
    } else {
      this.open = { id: view.id, fills: {} };
    }
    this.show();
  }

  /** Handles `shortcut`, `set`, `suggest`, `show`, `preview`, `submit`, `close`; false for anything else. */
  async handle(line: string): Promise<boolean> {
    const [command = '', field, ...rest] = line.split(/\s+/);
    const value = rest.join(' ');
    switch (command) {
      case 'shortcut':
        await this.shortcut(Number(/^m?(\d+)$/.exec(field ?? '')?.[1] ?? NaN));
        return true;
      case 'set':
        await this.set(field, value);
        return true;
      case 'suggest':
        await this.suggest(field, value);
        return true;
      case 'preview':
        await this.preview();
        return true;
      case 'submit':
        await this.submit();
        return true;
      case 'show':
        if (this.view()) this.show();
        return true;
      case 'close':
        this.open = undefined;
        this.o.write('form closed');
        return true;
      default:
        return false;
    }
  }

  private async shortcut(number: number): Promise<void> {
    const message = this.o.message(number);
    if (!message) {
      this.o.write(
        `no message m${Number.isNaN(number) ? '?' : number} (messages are numbered as shown)`,
      );
      return;
    }
    await this.send(
      messageShortcutBody({
        callbackId: RESTORE_SHORTCUT,
        user: this.o.user(),
        channel: message.channel,
        message: { ts: message.ts, text: message.text, user: 'U0OPSDECK' },
        responseUrl: this.o.slack.responseUrl(`console-shortcut-${message.ts}`),
      }),
    );
  }

  private async set(field: string | undefined, value: string): Promise<void> {
    const view = this.view();
    if (!view || !this.open) return;
    const blocks =
      (view.blocks as {
        type?: string;
        block_id?: string;
        dispatch_action?: boolean;
        element?: { type?: string };
      }[]) ?? [];
    const input = blocks.find((b) => b.type === 'input' && b.block_id === field);
    if (!input || field === undefined) {
      const names = blocks.filter((b) => b.type === 'input').map((b) => b.block_id);
      this.o.write(`no field "${field ?? ''}"; fields: ${names.join(', ')}`);
      return;
    }
    const set =
      input.element?.type === 'checkboxes'
        ? value
            .split(',')
            .map((v) => v.trim())
            .filter((v) => v !== '')
        : value === ''
          ? null
          : value;
    this.open.fills[field] = set;
    this.o.write(
      `✓ ${field} = ${[set ?? ''].flat().join(',')}   (the form: show; send it: submit)`,
    );
    // A choice Slack sends at once (dispatch_action): the bot may redraw the form.
    if (input.dispatch_action && typeof set === 'string')
      await this.send(
        viewSelectBody({
          user: this.o.user(),
          view: this.openView(view),
          fills: this.open.fills,
          field,
          value: set,
        }),
      );
  }

  private async suggest(field: string | undefined, typed: string): Promise<void> {
    const view = this.view();
    if (!view || !this.open || field === undefined) return;
    const answer = await this.send(
      blockSuggestionBody({
        user: this.o.user(),
        view: this.openView(view),
        fills: this.open.fills,
        actionId: field,
        value: typed,
      }),
    );
    const options = (answer as { options?: { value: string }[] } | undefined)?.options ?? [];
    this.o.write(
      options.length > 0
        ? `suggested for ${field}: ${options.map((o) => o.value).join(', ')}`
        : `nothing suggested for ${field}`,
    );
  }

  private async preview(): Promise<void> {
    const view = this.view();
    if (!view || !this.open) return;
    await this.send(
      viewButtonBody({
        user: this.o.user(),
        view: this.openView(view),
        fills: this.open.fills,
        actionId: PREVIEW_ACTION,
        value: String(view.callback_id ?? ''),
        blockId: 'preview-button',
      }),
    );
  }

  private async submit(): Promise<void> {
    const view = this.view();
    if (!view || !this.open) return;
    const answer = (await this.send(
      viewSubmissionBody({
        user: this.o.user(),
        view: this.openView(view),
        fills: this.open.fills,
      }),
    )) as
      | {
          response_action?: string;
          errors?: Record<string, string>;
          view?: Record<string, unknown>;
        }
      | undefined;
    if (answer?.response_action === 'errors') {
      for (const [field, error] of Object.entries(answer.errors ?? {}))
        this.o.write(`✗ ${field}: ${error}`);
      return;
    }
    if (answer?.response_action === 'update' && answer.view) {
      this.o.write(renderView(answer.view, {}, this.o.userNames));
      this.open = undefined;
      return;
    }
    this.o.write('form submitted and closed');
    this.open = undefined;
  }

  /** The open form as the fake Slack API holds it now. */
  private view(): Record<string, unknown> | undefined {
    const found = this.open && this.o.slack.view(this.open.id);
    if (!found) {
      this.o.write('no form is open (a shortcut or /restore-table, /deploy, /phz add opens one)');
      return undefined;
    }
    return found.view;
  }

  private openView(view: Record<string, unknown>) {
    const found = this.o.slack.view(this.open!.id)!;
    return { id: found.id, hash: found.hash, view };
  }

  private show(): void {
    const found = this.open && this.o.slack.view(this.open.id);
    if (found) this.o.write(renderView(found.view, this.open!.fills, this.o.userNames));
  }

  /** Delivers an interaction; resolves with the ack's JSON body, if it had one. */
  private async send(body: string): Promise<unknown> {
    try {
      const { status, text } = await this.o.deliver(body);
      if (status !== 200) {
        this.o.write(`bot answered HTTP ${status}: ${text}`);
        return undefined;
      }
      return text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
    } catch (error) {
      this.o.write(`Slack could not deliver it: ${describeError(error)}`);
      return undefined;
    }
  }
}
