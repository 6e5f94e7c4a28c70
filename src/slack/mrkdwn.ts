import { isoSeconds, toMs } from '../util/time';

/**
 * The one way text reaches a Slack message. A `Mrkdwn` is Slack mrkdwn that opsdeck built: its
 * literal parts are the bot's own markup, and everything from outside (typed arguments, vendor
 * feeds, hosts' output, database and AWS values, error messages) went through `escapeText`, so
 * it can neither ping (`<!channel>`, `<@U…>`, `<#C…>`), nor smuggle a link (`<https://…|label>`),
 * nor hide what it says behind invisible or bidirectional control characters. Mentions, date
 * tokens and links the bot means are built here, never by concatenation.
 *
 * A `Mrkdwn` is an object, not a string: message types (the outbox, ephemeral replies, a step's
 * `say`, plans, approvals) take one, so a new call site cannot pass a plain string, and a
 * template (`md`) knows at run time which of its values are markup built here and which are
 * text to escape. It turns into its text in JSON (`toJSON`) and in strings (`toString`).
 */
const CREATE = Symbol('Mrkdwn');

export class Mrkdwn {
  private constructor(readonly text: string) {}

  static [CREATE](text: string): Mrkdwn {
    return new Mrkdwn(text);
  }

  toString(): string {
    return this.text;
  }

  toJSON(): string {
    return this.text;
  }
}

const mark = (text: string): Mrkdwn => Mrkdwn[CREATE](text);

/** What a template may interpolate: markup built here is kept, anything else is escaped. */
export type MrkdwnValue = Mrkdwn | string | number | bigint | boolean;

/**
 * Invisible and bidirectional control characters (Unicode Cc and Cf) but the newline and the
 * tab (text has lines) and the zero-width joiner (emoji sequences are built with it).
 */
const HIDDEN = /(?![\n\t\u200d])[\p{Cc}\p{Cf}]/gu;

/** `⟨U+202E⟩`: a hidden character as the reader sees it in its place. */
function visible(char: string): string {
  return `⟨U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`;
}

/** Outside text shown as it is: `&`, `<`, `>` as entities, hidden controls as `⟨U+202E⟩`. */
function escaped(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(HIDDEN, visible);
}

/** Outside text as mrkdwn that shows exactly what it says and can do nothing else. */
export function text(value: string | number): Mrkdwn {
  return mark(escaped(String(value)));
}

function render(value: MrkdwnValue): string {
  return value instanceof Mrkdwn ? value.text : escaped(String(value));
}

/**
 * Mrkdwn from a template: the literal parts are the bot's own markup; each interpolated value is
 * escaped unless it is markup built here (`md`, `mention`, `date`, `link`, `code`, `join`...).
 *
 *   md`:rocket: deploying *${app}* to ${env} at ${code(ref)} for ${mention(userId)}`
 */
export function md(strings: TemplateStringsArray, ...values: MrkdwnValue[]): Mrkdwn {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return mark(out);
}

/** Several pieces (markup kept, text escaped) joined by the bot's own separator. */
export function join(parts: readonly MrkdwnValue[], separator = ''): Mrkdwn {
  return mark(parts.map(render).join(separator));
}

/** Outside text in an inline code span: escaped, backquotes replaced so the span cannot end early. */
export function code(value: string | number): Mrkdwn {
  const inner = escaped(String(value)).replace(/`/g, 'ˋ').replace(/\n/g, ' ');
  return mark(`\`${inner || ' '}\``);
}

/** Outside text (a host's output) in a code block, which it cannot close. */
export function codeBlock(value: string): Mrkdwn {
  const inner = escaped(value).replace(/```/g, 'ˋˋˋ');
  return mark(`\`\`\`\n${inner}\n\`\`\``);
}

/** A mention the bot means: `<@U…>`; an id that is not a Slack user id is shown as text. */
export function mention(userId: string): Mrkdwn {
  return /^[UW][A-Z0-9]{1,30}$/.test(userId) ? mark(`<@${userId}>`) : text(userId);
}

/** A user group mention the bot means: `<!subteam^S…>`; anything else is shown as text. */
export function mentionGroup(groupId: string): Mrkdwn {
  return /^S[A-Z0-9]{1,30}$/.test(groupId) ? mark(`<!subteam^${groupId}>`) : text(groupId);
}

/**
 * A time as a Slack date token, so every reader sees it in their own time zone, with the UTC
 * ISO-8601 text as the fallback Slack shows where tokens are not rendered (and the console shows).
 */
export function date(
  when: Date | number,
  format: '{date_short_pretty} {time_secs}' | '{time_secs}' = '{date_short_pretty} {time_secs}',
): Mrkdwn {
  const ms = toMs(when);
  return mark(`<!date^${Math.floor(ms / 1000)}^${format}|${isoSeconds(ms)}>`);
}

/** A link the bot means: only plain http(s) URLs become links; the label is outside text. */
export function link(url: string, label: string): Mrkdwn {
  if (!/^https?:\/\/[^\s<>|]+$/.test(url)) return text(label);
  return mark(`<${url.replace(/&/g, '&amp;')}|${escaped(label)}>`);
}

/**
 * Mrkdwn that this layer rendered and the bot stored (a job's summary, an outbox entry, an
 * approval record), read back: stores written by opsdeck only (their payloads are
 * authenticated), never anything a user or vendor wrote.
 */
export function storedMrkdwn(stored: string): Mrkdwn {
  return mark(stored);
}

/**
 * Cuts mrkdwn to at most `max` characters (…), never inside an entity, a token, a code span or
 * a character. Lengths count UTF-16 units, as JSON and JavaScript do: a character outside the
 * Basic Multilingual Plane (an emoji) counts two, so a cut text is within the limit whichever way
 * Slack counts.
 */
export function truncate(value: Mrkdwn, max: number): Mrkdwn {
  if (value.text.length <= max) return value;
  for (let keep = max - 1; ;) {
    const cut = withoutOpenToken(headOf(value.text, Math.max(0, keep)).replace(/&[a-z]*$/, ''));
    const fences = (cut.match(/```/g) ?? []).length;
    const spans = (cut.replace(/```/g, '').match(/`/g) ?? []).length;
    const closer = fences % 2 === 1 ? '\n```' : spans % 2 === 1 ? '`' : '';
    const out = `${cut}${closer}…`;
    if (out.length <= max || keep <= 0) return mark(out);
    keep -= out.length - max;
  }
}

/** The longest start of `text` of at most `max` UTF-16 units that does not split a character. */
function headOf(text: string, max: number): string {
  let end = Math.min(max, text.length);
  const last = text.charCodeAt(end - 1);
  if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

/** Drops a `<…` token left open at the end (a cut date token, mention or link). */
function withoutOpenToken(text: string): string {
  const open = text.lastIndexOf('<');
  return open >= 0 && !text.includes('>', open) ? text.slice(0, open) : text;
}

/** Plain text for Block Kit `plain_text` fields (Slack does not parse them): hidden controls shown. */
export function plainText(value: string, max = 3000): string {
  const shown = value.replace(HIDDEN, visible);
  return shown.length <= max ? shown : `${headOf(shown, max - 1)}…`;
}

/**
 * What a reader sees of mrkdwn where Slack shows only plain text (a confirm dialog, a header):
 * date tokens by their fallback, mentions and links by their text, entities decoded.
 */
export function asPlainText(value: Mrkdwn, max = 3000): string {
  const shown = value.text
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<@([UW][A-Z0-9]+)>/g, '@$1')
    .replace(/<!subteam\^(S[A-Z0-9]+)>/g, '@$1')
    .replace(/<https?:\/\/[^|>]*\|([^>]*)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  return plainText(shown, max);
}
