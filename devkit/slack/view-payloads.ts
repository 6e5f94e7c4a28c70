import { newTriggerId, type SlackChannel, type SlackUser } from './slack-payloads';

/**
 * Interaction payloads of shortcuts and modals in Slack's formats (`payload=<json>`, as
 * slack-payloads.ts builds slash commands and button clicks): a message shortcut
 * (`message_action`), a modal's submission (`view_submission`), a button pressed inside a modal
 * (`block_actions` with a view container) and the options an external select asks for
 * (`block_suggestion`), after api.slack.com/reference/interaction-payloads. The view they carry is
 * one the fake Slack API recorded, with its `state.values` as Slack builds them from what the user
 * filled in (`viewState`).
 */

/** A modal as the fake Slack API keeps it (FakeView): its id, hash and the view the bot sent. */
export interface OpenView {
  id: string;
  hash: string;
  view: Record<string, unknown>;
}

/** What the user filled in: field (block_id) → text, chosen option value, or chosen values. */
export type ViewFills = Record<string, string | string[] | null>;

type Json = Record<string, unknown>;

interface ElementJson {
  type?: string;
  action_id?: string;
  initial_value?: string;
  initial_option?: Json;
  initial_options?: Json[];
  options?: { text: Json; value: string }[];
}

/**
 * `view.state.values` as Slack sends it: every input block's element with its initial value,
 * then `fills` applied (a select's chosen option with its text from the element's options, or
 * the value itself for an external select, as its suggestion gave it).
 */
export function viewState(view: Json, fills: ViewFills = {}): Record<string, Record<string, Json>> {
  const values: Record<string, Record<string, Json>> = {};
  const blocks = Array.isArray(view.blocks) ? (view.blocks as Json[]) : [];
  for (const block of blocks) {
    if (block.type !== 'input' || typeof block.block_id !== 'string') continue;
    const element = block.element as ElementJson;
    const actionId = element.action_id ?? block.block_id;
    const fill = Object.hasOwn(fills, block.block_id) ? fills[block.block_id] : undefined;
    values[block.block_id] = { [actionId]: elementState(element, fill) };
  }
  return values;
}

function elementState(element: ElementJson, fill: string | string[] | null | undefined): Json {
  const type = element.type ?? 'plain_text_input';
  const optionOf = (value: string): Json =>
    element.options?.find((o) => o.value === value) ?? {
      text: { type: 'plain_text', text: value, emoji: true },
      value,
    };
  switch (type) {
    case 'plain_text_input':
      return { type, value: fill === undefined ? (element.initial_value ?? null) : fill };
    case 'checkboxes':
      return {
        type,
        selected_options:
          fill === undefined
            ? (element.initial_options ?? [])
            : [fill ?? []].flat().map((value) => optionOf(value)),
      };
    default:
      return {
        type,
        selected_option:
          fill === undefined
            ? (element.initial_option ?? null)
            : fill === null
              ? null
              : optionOf(String(fill)),
      };
  }
}

function viewJson(open: OpenView, state: Record<string, Record<string, Json>>): Json {
  return {
    id: open.id,
    team_id: 'T0OPSDECK',
    type: 'modal',
    ...open.view,
    state: { values: state },
    hash: open.hash,
    clear_on_close: false,
    notify_on_close: false,
    previous_view_id: null,
    root_view_id: open.id,
    app_id: 'A0OPSDECK',
    external_id: '',
    app_installed_team_id: 'T0OPSDECK',
    bot_id: 'B0OPSDECK',
  };
}

function userJson(user: SlackUser, teamId: string): Json {
  return { id: user.id, username: user.name, name: user.name, team_id: teamId };
}

const encode = (payload: Json) =>
  new URLSearchParams({ payload: JSON.stringify(payload) }).toString();

export interface MessageShortcutRequest {
  callbackId: string;
  user: SlackUser;
  channel: SlackChannel;
  /** The message the shortcut was used on. */
  message: { ts: string; text: string; user?: string };
  responseUrl: string;
  triggerId?: string;
  teamId?: string;
}

export function messageShortcutBody(request: MessageShortcutRequest): string {
  const teamId = request.teamId ?? 'T0OPSDECK';
  return encode({
    type: 'message_action',
    token: 'deprecated-verification-token',
    action_ts: `${Date.now() / 1000}`,
    team: { id: teamId, domain: 'opsdeck' },
    user: userJson(request.user, teamId),
    channel: request.channel,
    is_enterprise_install: false,
    enterprise: null,
    callback_id: request.callbackId,
    trigger_id: request.triggerId ?? newTriggerId(),
    response_url: request.responseUrl,
    message_ts: request.message.ts,
    message: {
      type: 'message',
      ...(request.message.user && { user: request.message.user }),
      ts: request.message.ts,
      text: request.message.text,
    },
  });
}

export interface ViewRequest {
  user: SlackUser;
  view: OpenView;
  fills?: ViewFills;
  teamId?: string;
  triggerId?: string;
}

export function viewSubmissionBody(request: ViewRequest): string {
  const teamId = request.teamId ?? 'T0OPSDECK';
  return encode({
    type: 'view_submission',
    team: { id: teamId, domain: 'opsdeck' },
    user: userJson(request.user, teamId),
    api_app_id: 'A0OPSDECK',
    token: 'deprecated-verification-token',
    trigger_id: request.triggerId ?? newTriggerId(),
    view: viewJson(request.view, viewState(request.view.view, request.fills)),
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  });
}

/** A button pressed inside a modal: block_actions whose container is the view. */
export function viewButtonBody(
  request: ViewRequest & { actionId: string; value: string; blockId: string },
): string {
  return viewBlockActionBody(request, {
    type: 'button',
    block_id: request.blockId,
    action_id: request.actionId,
    text: { type: 'plain_text', text: request.actionId, emoji: true },
    value: request.value,
  });
}

/**
 * An option chosen in a modal's select whose input block has `dispatch_action`: block_actions
 * with the choice, the view's state already holding it (`fills` should say it too).
 */
export function viewSelectBody(request: ViewRequest & { field: string; value: string }): string {
  return viewBlockActionBody(request, {
    type: 'static_select',
    block_id: request.field,
    action_id: request.field,
    selected_option: { text: { type: 'plain_text', text: request.value }, value: request.value },
  });
}

/** `block_actions` from an element of a view (a modal, or a published Home tab), with `action`. */
export function viewBlockActionBody(request: ViewRequest, action: Json): string {
  const teamId = request.teamId ?? 'T0OPSDECK';
  return encode({
    type: 'block_actions',
    user: userJson(request.user, teamId),
    api_app_id: 'A0OPSDECK',
    token: 'deprecated-verification-token',
    container: { type: 'view', view_id: request.view.id },
    trigger_id: request.triggerId ?? newTriggerId(),
    team: { id: teamId, domain: 'opsdeck' },
    enterprise: null,
    is_enterprise_install: false,
    view: viewJson(request.view, viewState(request.view.view, request.fills)),
    actions: [{ ...action, action_ts: `${Date.now() / 1000}` }],
  });
}

/** An external select asking for its options while the user types `value`. */
export function blockSuggestionBody(
  request: ViewRequest & { actionId: string; blockId?: string; value: string },
): string {
  const teamId = request.teamId ?? 'T0OPSDECK';
  return encode({
    type: 'block_suggestion',
    user: userJson(request.user, teamId),
    container: { type: 'view', view_id: request.view.id },
    api_app_id: 'A0OPSDECK',
    token: 'deprecated-verification-token',
    action_id: request.actionId,
    block_id: request.blockId ?? request.actionId,
    value: request.value,
    team: { id: teamId, domain: 'opsdeck' },
    enterprise: null,
    is_enterprise_install: false,
    view: viewJson(request.view, viewState(request.view.view, request.fills)),
  });
}
