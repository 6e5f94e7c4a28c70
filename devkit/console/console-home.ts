import type { RecordedCall } from '../slack/fake-slack-api';
import { appHomeOpenedBody } from '../slack/home-payloads';
import type { SlackUser } from '../slack/slack-payloads';

/**
 * The console's `home`: it opens the current user's Home tab as Slack does (a signed
 * `app_home_opened` event through the bot's real receiver) and prints the view the bot published
 * (the fake Slack's recorded views.publish), its buttons numbered for `press <n>`. A Home tab
 * the bot republishes on its own (a job finished) is announced in one line; one published in
 * answer to `home` or to a press in the Home tab is printed whole.
 */

export interface HomeButton {
  label: string;
  actionId: string;
  value: string;
  /** The published view the button is in (a press is a block_actions from that view). */
  view: { id: string; hash: string };
  user: string;
}

export interface ConsoleHomeOptions {
  /** Sends a request in Slack's format to the bot; resolves when it answered. */
  send(body: string): Promise<void>;
  write(line: string): void;
  render(text: string): string;
  userName(id: string): string;
  /** Numbers a button for `press <n>`; the buttons of the user's previous Home go first. */
  addButtons(user: string, buttons: Omit<HomeButton, 'user'>[]): number[];
}

interface PublishedView {
  id: string;
  hash: string;
  blocks: HomeBlock[];
}

interface HomeElement {
  type?: string;
  /** A button's label object, or a context element's own text. */
  text?: string | { text: string };
  action_id?: string;
  value?: string;
}

interface HomeBlock {
  type: string;
  text?: { text: string };
  elements?: HomeElement[];
  accessory?: HomeElement;
}

const WAIT_MS = 15_000;

export class ConsoleHome {
  /** Users whose next published Home is printed whole, with what to call once it is. */
  private readonly awaited = new Map<string, () => void>();

  constructor(private readonly o: ConsoleHomeOptions) {}

  /** `home`: opens the user's Home tab; resolves once the published view is printed. */
  async open(user: SlackUser): Promise<void> {
    const shown = this.awaitView(user.id);
    await this.o.send(appHomeOpenedBody({ user }));
    await shown;
  }

  /** Before a press in the Home tab: the Home republished in answer is printed whole. */
  awaitView(user: string): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.awaited.delete(user);
        this.o.write(`(no Home tab was published for ${this.o.userName(user)} yet)`);
        resolve();
      }, WAIT_MS);
      this.awaited.set(user, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** A views.publish the bot made (accepted by the fake Slack). */
  show(call: RecordedCall): void {
    const user = String(call.args.user_id ?? '');
    const view = (call.response as { view?: PublishedView }).view;
    if (!view) return;
    const done = this.awaited.get(user);
    if (!done) {
      this.o.write(`${clock()} ⌂ ${this.o.userName(user)}'s Home tab was refreshed (type: home)`);
      return;
    }
    this.awaited.delete(user);
    this.print(user, view);
    done();
  }

  private print(user: string, view: PublishedView): void {
    const buttons: Omit<HomeButton, 'user'>[] = [];
    const lines: string[] = [`${clock()} ⌂ Home tab of ${this.o.userName(user)}`];
    const button = (element: HomeElement) => {
      if (element.type !== 'button' || !element.action_id) return '';
      buttons.push({
        label: typeof element.text === 'object' ? element.text.text : element.action_id,
        actionId: element.action_id,
        value: element.value ?? '',
        view: { id: view.id, hash: view.hash },
      });
      return `{${buttons.length}}`;
    };
    for (const block of view.blocks) {
      switch (block.type) {
        case 'header':
          lines.push('', `  ━━ ${block.text?.text ?? ''} ━━`);
          break;
        case 'section': {
          const accessory = block.accessory ? ` ${button(block.accessory)}` : '';
          lines.push(indent(`${this.o.render(block.text?.text ?? '')}${accessory}`));
          break;
        }
        case 'context':
          lines.push(
            indent(
              (block.elements ?? [])
                .map((e) => this.o.render(typeof e.text === 'string' ? e.text : ''))
                .join(' '),
            ),
          );
          break;
        case 'actions':
          lines.push(indent((block.elements ?? []).map((e) => button(e)).join(' ')));
          break;
      }
    }
    // Placeholders become the numbers the session gives the buttons.
    const numbers = this.o.addButtons(user, buttons);
    const text = lines
      .join('\n')
      .replace(
        /\{(\d+)\}/g,
        (_, i: string) => `[${numbers[Number(i) - 1]}] ${buttons[Number(i) - 1]!.label}`,
      );
    this.o.write(text);
    if (buttons.length > 0) this.o.write('         (type: press <n>)');
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

function clock(): string {
  return new Date().toLocaleTimeString('en-GB', { hour12: false });
}
