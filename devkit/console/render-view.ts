import { viewState, type ViewFills } from '../slack/view-payloads';
import { renderMrkdwn } from './render-mrkdwn';

type Json = Record<string, unknown>;

interface ElementJson {
  type?: string;
  options?: { text?: { text?: string }; value: string; description?: { text?: string } }[];
}

/**
 * A modal as the console shows it: its title and submit button, its notes, then one line per
 * field (the name `set` takes, its label, what kind of input, the choices, the value it holds now
 * with what was set), the buttons, and the preview if one was shown.
 */
export function renderView(
  view: Json,
  fills: ViewFills,
  userNames = new Map<string, string>(),
): string {
  const title = (view.title as { text?: string } | undefined)?.text ?? '';
  const submit = (view.submit as { text?: string } | undefined)?.text;
  const state = viewState(view, fills);
  const lines = [`┌ ${title}${submit ? `   [submit: ${submit}]` : ''}`];
  for (const block of (view.blocks as Json[] | undefined) ?? []) {
    switch (block.type) {
      case 'context':
      case 'section': {
        const texts =
          block.type === 'section'
            ? [(block.text as { text: string }).text]
            : (block.elements as { text?: string }[]).map((e) => e.text ?? '');
        for (const text of texts)
          for (const line of renderMrkdwn(text, userNames).split('\n')) lines.push(`│ ${line}`);
        break;
      }
      case 'input': {
        const name = String(block.block_id);
        const element = block.element as ElementJson;
        const label = (block.label as { text: string }).text;
        const optional = block.optional === true ? ', optional' : '';
        lines.push(
          `│ ${name.padEnd(9)} ${label} (${kindOf(element)}${optional}) = ${valueOf(state[name]?.[name])}`,
        );
        for (const o of element.options ?? [])
          lines.push(
            `│ ${' '.repeat(11)}· ${o.value}${o.text?.text && o.text.text !== o.value ? ` (${o.text.text})` : ''}${o.description?.text ? `: ${o.description.text}` : ''}`,
          );
        break;
      }
      case 'actions':
        lines.push(
          `│ buttons: ${((block.elements as { text?: { text?: string } }[]) ?? [])
            .map((e) => `[${e.text?.text ?? '?'}]`)
            .join(' ')}`,
        );
        break;
    }
  }
  lines.push('└ set <field> <value> · suggest <field> [text] · show · preview · submit · close');
  return lines.join('\n');
}

function kindOf(element: ElementJson): string {
  switch (element.type) {
    case 'plain_text_input':
      return 'text';
    case 'static_select':
      return 'one of';
    case 'external_select':
      return 'suggested as typed: suggest <field> [text]';
    case 'radio_buttons':
      return 'one of';
    case 'checkboxes':
      return 'any of, comma-separated';
    default:
      return element.type ?? 'input';
  }
}

function valueOf(state: Json | undefined): string {
  if (!state) return '';
  if (typeof state.value === 'string') return state.value;
  const one = state.selected_option as { value?: string } | null | undefined;
  if (one) return one.value ?? '';
  const many = state.selected_options as { value?: string }[] | undefined;
  if (many) return many.map((o) => o.value).join(',');
  return '';
}
