import { actions, button, section, type Block } from '../slack/blocks';
import type { Mrkdwn } from '../slack/mrkdwn';

/**
 * A Confirm button under an ephemeral answer: its value is the command to run once confirmed
 * (`/phz remove … --confirm <code>`), typed out in full. A click runs it as the clicker, through
 * the front door like the typed command (authorized, audited, answered), so the button grants
 * nothing that typing the command would not.
 */
export const CONFIRM_ACTION_ID = 'command.confirm';

export function confirmBlocks(text: Mrkdwn, label: string, command: string): Block[] {
  return [
    section(text),
    actions([button({ actionId: CONFIRM_ACTION_ID, label, style: 'danger', value: command })]),
  ];
}

/** `/phz remove x --confirm c` → the slash command and its text. */
export function splitConfirmedCommand(value: string): { command: string; text: string } {
  const space = value.indexOf(' ');
  return space < 0
    ? { command: value, text: '' }
    : { command: value.slice(0, space), text: value.slice(space + 1) };
}
