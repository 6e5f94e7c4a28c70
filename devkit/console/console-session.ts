import { unfoldReplies } from '../../src/notify/fold-replies';
import { describeError } from '../../src/errors';
import type { FakeSlackApi, RecordedCall } from '../slack/fake-slack-api';
import type { DisconnectReason, SocketConnectionRecord } from '../slack/fake-socket-mode';
import type { DeliverToBot } from '../slack/slack-delivery';
import {
  blockActionBody,
  slashCommandBody,
  type SlackChannel,
  type SlackUser,
} from '../slack/slack-payloads';
import { ConsoleModals, MODAL_HELP, type PrintedMessage } from './console-modals';
import { renderMrkdwn } from './render-mrkdwn';
import { ConsoleHome, type HomeButton } from './console-home';
import { homeBlockActionBody } from '../slack/home-payloads';

export interface ConsoleSessionOptions {
  slack: FakeSlackApi;
  /** How requests reach the bot: signed HTTP to its receiver, or over its Socket Mode connection. */
  deliver: DeliverToBot;
  /** Over Socket Mode: show the bot's connections, and let the user play what Slack does to them. */
  socketMode?: boolean;
  users: readonly SlackUser[];
  channel: SlackChannel;
  write(line: string): void;
}

interface Button {
  number: number;
  label: string;
  actionId: string;
  value: string;
  channel: string;
  messageTs: string;
  /** A button in a Home tab: pressed from that view. */
  home?: HomeButton;
}

const HELP = [
  'Type a slash command as in Slack, e.g. /ops help or /ops ping.',
  'Other console commands:',
  '  press <n>      press button [n] shown under a message (messages are numbered m1, m2, …) or in the Home tab',
  '  home           open your Home tab: what runs, what is locked, what waits for you',
  '  as <user>      act as another configured user (by name or id); `users` lists them',
  '  help           this text',
  '  quit           stop everything',
].join('\n');

const SOCKET_HELP = [
  "Socket Mode (play what Slack does to the bot's connection):",
  "  slack disconnect warning|refresh_requested|link_disabled   send Slack's disconnect",
  '  slack drop     drop the connection without a word',
].join('\n');

const DISCONNECT_REASONS: readonly DisconnectReason[] = [
  'warning',
  'refresh_requested',
  'link_disabled',
];

/**
 * The console adapter: stands where Slack stands. It sends the bot what Slack would send
 * (slash commands and button clicks, in Slack's payload formats, signed over HTTP or as Socket
 * Mode envelopes) and prints what the bot posts to the local Slack Web API stand-in (root
 * messages, thread replies, edits, ephemeral answers), with times.
 */
export class ConsoleSession {
  private user: SlackUser;
  private readonly buttons = new Map<number, Button>();
  private nextButton = 1;
  private readonly threadLabels = new Map<string, string>();
  private readonly userNames: Map<string, string>;
  private responses = 0;
  /** Messages as printed, by their number (`m3`), for `shortcut <n>`. */
  private readonly printed = new Map<number, PrintedMessage>();
  private readonly modals: ConsoleModals;
  private readonly home: ConsoleHome;

  constructor(private readonly o: ConsoleSessionOptions) {
    if (o.users.length === 0) throw new Error('the console needs at least one user');
    this.user = o.users[0]!;
    this.userNames = new Map(o.users.map((u) => [u.id, u.name]));
    this.modals = new ConsoleModals({
      slack: o.slack,
      deliver: o.deliver,
      write: o.write,
      user: () => this.user,
      message: (n) => this.printed.get(n),
      userNames: this.userNames,
    });
    this.home = new ConsoleHome({
      send: (body) => this.send(body),
      write: (line) => o.write(line),
      render: (text) => this.render(text),
      userName: (id) => this.userNames.get(id) ?? id,
      addButtons: (user, buttons) => this.addHomeButtons(user, buttons),
    });
    o.slack.on('call', (call) => {
      this.show(call);
      this.modals.onCall(call);
    });
    if (o.socketMode) {
      o.slack.socket.on('open', (c) =>
        o.write(
          `${clock()} ⇄ Socket Mode connection ${c.id} open (${o.slack.socket.openConnections().length} open)`,
        ),
      );
      o.slack.socket.on('close', (c) => o.write(`${clock()} ⇄ ${describeClose(c)}`));
    }
  }

  get currentUser(): SlackUser {
    return this.user;
  }

  help(): string {
    return [HELP, MODAL_HELP, ...(this.o.socketMode ? [SOCKET_HELP] : [])].join('\n');
  }

  /** Handles one line typed at the prompt; resolves when the bot has answered. */
  async handleLine(raw: string): Promise<'quit' | void> {
    const line = raw.trim();
    if (line === '') return;
    if (line === 'quit' || line === 'exit') return 'quit';
    if (line === 'help') return this.o.write(this.help());
    if (line === 'users') {
      return this.o.write(
        this.o.users
          .map((u) => `${u.id === this.user.id ? '*' : ' '} ${u.name} (${u.id})`)
          .join('\n'),
      );
    }
    const as = /^as\s+(\S+)$/.exec(line);
    if (as) return this.switchUser(as[1]!);
    const press = /^press\s+(\d+)$/.exec(line);
    if (press) return this.press(Number(press[1]));
    if (line === 'home') return this.home.open(this.user);
    if (line.startsWith('/')) return this.slash(line);
    if (this.o.socketMode && line.startsWith('slack ')) return this.playSlack(line);
    if (await this.modals.handle(line)) return;
    this.o.write(`? not understood. ${HELP.split('\n')[0]} Type help for more.`);
  }

  /** `slack disconnect <reason>` or `slack drop`, on the bot's newest connection. */
  private playSlack(line: string): void {
    const [, what, reason] = line.split(/\s+/);
    const { socket } = this.o.slack;
    try {
      if (what === 'drop') {
        const c = socket.drop();
        this.o.write(`${clock()} ⇄ Slack dropped connection ${c.id}`);
        return;
      }
      const known = DISCONNECT_REASONS.find((r) => r === reason);
      if (what === 'disconnect' && known) {
        const c = socket.disconnect(known);
        this.o.write(`${clock()} ⇄ Slack sent disconnect (${known}) on connection ${c.id}`);
        return;
      }
    } catch (error) {
      this.o.write(describeError(error));
      return;
    }
    this.o.write(SOCKET_HELP);
  }

  private switchUser(who: string): void {
    const user = this.o.users.find((u) => u.id === who || u.name === who.replace(/^@/, ''));
    if (!user) {
      this.o.write(`no user "${who}"; configured: ${this.o.users.map((u) => u.name).join(', ')}`);
      return;
    }
    this.user = user;
    this.o.write(`now acting as ${user.name} (${user.id})`);
  }

  private async slash(line: string): Promise<void> {
    const space = line.indexOf(' ');
    const command = space === -1 ? line : line.slice(0, space);
    const text = space === -1 ? '' : line.slice(space + 1);
    const body = slashCommandBody({
      command,
      text,
      user: this.user,
      channel: this.o.channel,
      responseUrl: this.o.slack.responseUrl(`console-${++this.responses}`),
    });
    await this.send(body);
  }

  private async press(number: number): Promise<void> {
    const button = this.buttons.get(number);
    if (!button) {
      this.o.write(`no button [${number}]`);
      return;
    }
    if (button.home) {
      const shown = this.home.awaitView(this.user.id);
      await this.send(homeBlockActionBody({ ...button.home, user: this.user }));
      return shown;
    }
    const body = blockActionBody({
      actionId: button.actionId,
      value: button.value,
      user: this.user,
      channel: { id: button.channel, name: button.channel },
      responseUrl: this.o.slack.responseUrl(`console-${++this.responses}`),
      messageTs: button.messageTs,
    });
    await this.send(body);
  }

  private async send(body: string): Promise<void> {
    let status: number;
    let text: string;
    try {
      ({ status, text } = await this.o.deliver(body));
    } catch (error) {
      this.o.write(`Slack could not deliver it: ${describeError(error)}`);
      return;
    }
    if (status !== 200) {
      this.o.write(`bot answered HTTP ${status}: ${text}`);
      return;
    }
    if (text.trim() === '') return;
    try {
      const parsed = JSON.parse(text) as { text?: string };
      if (parsed.text) this.o.write(this.ephemeral(parsed.text));
    } catch {
      this.o.write(this.ephemeral(text));
    }
  }

  private ephemeral(text: string): string {
    return `${clock()} (only you see this) ${this.render(text)}`;
  }

  private render(text: string): string {
    return renderMrkdwn(text, this.userNames);
  }

  private show(call: RecordedCall): void {
    const ok = (call.response as { ok?: boolean } | undefined)?.ok === true;
    if (!ok && call.method !== 'respond') return;
    const args = call.args;
    const text = typeof args.text === 'string' ? args.text : '';
    switch (call.method) {
      case 'chat.postMessage': {
        const ts = (call.response as { ts: string }).ts;
        const channelId = (call.response as { channel: string }).channel;
        const thread = typeof args.thread_ts === 'string' ? args.thread_ts : undefined;
        // Numbered as printed (m1, m2, …): `shortcut <n>` uses the message shortcut on one.
        const number = this.printed.size + 1;
        this.printed.set(number, {
          channel: { id: channelId, name: channelName(args.channel) },
          ts,
          text,
        });
        if (thread) {
          // Lines that queued up arrive folded into one message: shown one by one, as said.
          const label = this.threadLabels.get(thread) ?? thread;
          for (const [i, reply] of unfoldReplies(text).entries()) {
            const prefix = `${clock()} ${i === 0 ? `m${number}` : ' '.repeat(`m${number}`.length)} ${label} └ `;
            this.o.write(`${prefix}${indent(this.render(reply), prefix.length)}`);
          }
        } else {
          this.threadLabels.set(
            ts,
            /`([a-z][a-z0-9-]*-[0-9a-f]{10}|apv_[0-9a-f]+)`/.exec(text)?.[1] ?? ts,
          );
          this.o.write(
            `${clock()} m${number} #${channelName(args.channel)} ${indent(this.render(text))}`,
          );
        }
        this.registerButtons(args, String(args.channel), ts);
        return;
      }
      case 'chat.update': {
        const ts = String(args.ts);
        this.dropButtons(ts);
        this.o.write(
          `${clock()} ✎ ${this.threadLabels.get(ts) ?? ts} edited: ${indent(this.render(text))}`,
        );
        this.registerButtons(args, String(args.channel), ts);
        return;
      }
      case 'views.publish':
        return this.home.show(call);
      case 'chat.postEphemeral':
      case 'respond':
        if (text) this.o.write(this.ephemeral(text));
        return;
    }
  }

  private registerButtons(args: Record<string, unknown>, channel: string, messageTs: string): void {
    const blocks = parseBlocks(args.blocks);
    const labels: string[] = [];
    for (const block of blocks) {
      if (block.type !== 'actions' || !Array.isArray(block.elements)) continue;
      for (const element of block.elements as {
        type?: string;
        action_id?: string;
        value?: string;
        text?: { text?: string };
      }[]) {
        if (element.type !== 'button' || !element.action_id) continue;
        const number = this.nextButton++;
        const label = element.text?.text ?? element.action_id;
        this.buttons.set(number, {
          number,
          label,
          actionId: element.action_id,
          value: element.value ?? '',
          channel,
          messageTs,
        });
        labels.push(`[${number}] ${label}`);
      }
    }
    if (labels.length > 0)
      this.o.write(`         buttons: ${labels.join('  ')}   (type: press <n>)`);
  }

  /** Numbers the buttons of a user's Home tab, in place of those of their previous one. */
  private addHomeButtons(user: string, buttons: Omit<HomeButton, 'user'>[]): number[] {
    this.dropButtons(`home:${user}`);
    return buttons.map((button) => {
      const number = this.nextButton++;
      this.buttons.set(number, {
        number,
        label: button.label,
        actionId: button.actionId,
        value: button.value,
        channel: '',
        messageTs: `home:${user}`,
        home: { ...button, user },
      });
      return number;
    });
  }

  private dropButtons(messageTs: string): void {
    for (const [number, button] of this.buttons)
      if (button.messageTs === messageTs) this.buttons.delete(number);
  }
}

function describeClose(c: SocketConnectionRecord): string {
  const by = c.closedBy === 'app' ? 'by the bot' : 'by Slack';
  return `Socket Mode connection ${c.id} closed ${by} (code ${c.closeCode ?? '?'})`;
}

function parseBlocks(raw: unknown): { type?: string; elements?: unknown }[] {
  if (Array.isArray(raw)) return raw as { type?: string }[];
  if (typeof raw === 'string' && raw.startsWith('[')) {
    try {
      return JSON.parse(raw) as { type?: string }[];
    } catch {
      return [];
    }
  }
  return [];
}

function channelName(channel: unknown): string {
  return String(channel ?? '').replace(/^#/, '');
}

/** A message's further lines, indented under its first (after a clock and a space by default). */
function indent(text: string, width = 9): string {
  return text.split('\n').join(`\n${' '.repeat(width)}`);
}

function clock(): string {
  return new Date().toLocaleTimeString('en-GB', { hour12: false });
}
