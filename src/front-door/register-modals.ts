import type {
  App,
  BlockAction,
  BlockButtonAction,
  BlockSuggestion,
  MessageShortcut,
  SlashCommand,
  ViewSubmitAction,
} from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { authorize, userGroupsNamed } from '../approvals/access-policy';
import { describeError } from '../errors';
import { beforeMessage } from '../restore/point-in-time';
import { suggestTables } from '../restore/table-suggestions';
import { suggestedOptions } from '../slack/input-blocks';
import { md, type Mrkdwn } from '../slack/mrkdwn';
import { USER_GROUP_LOOKUP_MS } from '../slack/user-group-membership';
import { isoSeconds } from '../util/time';
import type { WorkSigner } from '../util/work-signature';
import { zonedTime } from '../util/zoned-time';
import { deployForm } from './forms/deploy-form';
import { fieldErrors } from './forms/field-errors';
import type { FormId, FormSpec, FormValues } from './forms/form-spec';
import { formProblems, formValues, type ViewStateValues } from './forms/form-state';
import {
  FORM_CALLBACK_PREFIX,
  PREVIEW_ACTION_ID,
  answerView,
  formView,
  previewHeading,
} from './forms/form-view';
import { checkMetadata, signMetadata, type ModalMetadata } from './forms/modal-metadata';
import { phzAddForm } from './forms/phz-add-form';
import { restoreTableForm } from './forms/restore-table-form';
import {
  handleCommand,
  type FrontDoorDeps,
  type SlashCommandPayload,
} from './handle-slash-command';
import { previewRequest } from './preview-request';

/** The message shortcut's callback_id (slack-app-manifest.yaml). */
export const RESTORE_SHORTCUT_ID = 'restore_before_message';

export interface ModalDoor {
  /**
   * A command typed without the arguments its form stands for (`/restore-table`, `/deploy`,
   * `/phz add`): acks it, opens the form with the command's trigger_id, and says true.
   */
  openForm(command: SlashCommand, ack: () => Promise<void>, client: WebClient): Promise<boolean>;
}

interface Opener {
  userId: string;
  channel: { id: string; name: string };
}

/**
 * Forms instead of flags, and the "Restore a table to before this message" shortcut. A form is a
 * typed command in disguise: submitting it builds the command text from its fields and runs it
 * through handleCommand as that user in the channel it was opened from (carried in its signed
 * private_metadata), so parser, access rules, approvals and audit events are the typed ones;
 * what the parser or planner refuses goes back on the field it concerns. Preview plans without
 * dispatching; the table picker suggests the chosen database's tables (read only).
 */
export function registerModals(app: App, deps: FrontDoorDeps, signer: WorkSigner): ModalDoor {
  const { config, logger } = deps;
  const forms: Record<FormId, FormSpec> = {
    'restore-table': restoreTableForm(config),
    deploy: deployForm(config),
    'phz-add': phzAddForm(config),
  };
  const log = logger.child({ component: 'modals' });

  async function open(
    client: WebClient,
    triggerId: string,
    form: FormSpec,
    opener: Opener,
    values: FormValues = {},
    shortcut?: ModalMetadata['shortcut'],
  ): Promise<void> {
    const metadata = signMetadata(signer, {
      form: form.id,
      ...opener,
      ...(shortcut && { shortcut }),
    });
    try {
      await client.views.open({
        trigger_id: triggerId,
        view: formView(form, { values, metadata, ...(shortcut && { note: timeNote(shortcut) }) }),
      });
    } catch (error) {
      log.warn({ err: error, form: form.id }, 'could not open a form');
      await client.chat
        .postEphemeral({
          channel: opener.channel.id,
          user: opener.userId,
          text: md`:x: The form could not be opened (${describeError(error)}); type the command with its arguments instead.`
            .text,
        })
        .catch(() => undefined);
    }
  }

  /** The form of a view, and its metadata if the bot signed it for this user. */
  function formOf(
    view: { callback_id: string; private_metadata: string },
    userId: string,
  ): { form: FormSpec; metadata: ModalMetadata } | { refused: string } {
    const id = view.callback_id.slice(FORM_CALLBACK_PREFIX.length);
    const form = Object.hasOwn(forms, id) ? forms[id as FormId] : undefined;
    const check = checkMetadata(signer, view.private_metadata, userId);
    if (!form || !view.callback_id.startsWith(FORM_CALLBACK_PREFIX))
      return { refused: 'it is not a form of opsdeck' };
    if (!check.ok) return { refused: check.reason };
    if (check.metadata.form !== form.id) return { refused: 'its form data is of another form' };
    return { form, metadata: check.metadata };
  }

  function typed(
    form: FormSpec,
    text: string,
    metadata: ModalMetadata,
    user: { id: string; name?: string; username?: string; team_id?: string },
    team: { id: string } | null | undefined,
    triggerId: string,
  ): SlashCommandPayload {
    return {
      command: form.command,
      text,
      user_id: user.id,
      user_name: user.name ?? user.username ?? user.id,
      channel_id: metadata.channel.id,
      channel_name: metadata.channel.name,
      team_id: team?.id ?? user.team_id ?? '',
      trigger_id: triggerId,
    };
  }

  app.shortcut<MessageShortcut>(RESTORE_SHORTCUT_ID, async ({ shortcut, ack, client }) => {
    await ack();
    const at = beforeMessage(shortcut.message.ts);
    const zone = await timeZoneOf(client, shortcut.user.id);
    await open(
      client,
      shortcut.trigger_id,
      forms['restore-table'],
      { userId: shortcut.user.id, channel: shortcut.channel },
      { at: isoSeconds(at), mode: 'side' },
      { at: isoSeconds(at), ...(zone !== undefined && { zone }) },
    );
  });

  app.view<ViewSubmitAction>(
    {
      callback_id: new RegExp(`^${FORM_CALLBACK_PREFIX.replace(/\./g, '\\.')}`),
      type: 'view_submission',
    },
    async ({ ack, body, view, client }) => {
      const found = formOf(view, body.user.id);
      if ('refused' in found) {
        log.warn({ user: body.user.id, reason: found.refused }, 'form submission refused');
        // For the incident review: someone sent a form opsdeck did not give them.
        await deps.audit
          .recordJobEvent({
            type: 'denied',
            actor: { id: body.user.id, name: body.user.name },
            command: view.callback_id.slice(FORM_CALLBACK_PREFIX.length),
            detail: { reason: 'form-refused', message: found.refused },
          })
          .catch((error: unknown) => log.error({ err: error }, 'form refusal not audited'));
        await ack({
          response_action: 'update',
          view: answerView(
            'Not run',
            md`:no_entry: This submission was refused: ${found.refused}. Nothing was run.`,
          ),
        });
        return;
      }
      const { form, metadata } = found;
      const values = formValues(form, view.state.values as ViewStateValues);
      const problems = formProblems(form, values);
      if (Object.keys(problems).length > 0) {
        await ack({ response_action: 'errors', errors: problems });
        return;
      }
      const payload = typed(
        form,
        form.text(values, false),
        metadata,
        body.user,
        body.team,
        body.trigger_id,
      );
      const { answer, usageError } = await handleCommand(deps, payload);
      if (usageError) {
        await ack({ response_action: 'errors', errors: fieldErrors(form, usageError.message) });
        return;
      }
      await ack();
      // In the channel the form came from; where the bot may not post (a private channel it is
      // not in), in the user's messages with the app, so the answer (a job id) is never lost.
      const content = { text: answer.text, ...(answer.blocks && { blocks: answer.blocks }) };
      await client.chat
        .postEphemeral({ channel: metadata.channel.id, user: body.user.id, ...content })
        .catch((error: unknown) => {
          log.warn({ err: error }, 'could not answer a form in its channel; answering in a DM');
          return client.chat.postMessage({ channel: body.user.id, ...content });
        })
        .catch((error: unknown) => log.warn({ err: error }, 'could not answer a form'));
    },
  );

  app.action<BlockButtonAction>(PREVIEW_ACTION_ID, async ({ ack, body, client }) => {
    await ack();
    const view = body.view;
    if (!view) return;
    const found = formOf(view, body.user.id);
    if ('refused' in found) {
      log.warn({ user: body.user.id, reason: found.refused }, 'form preview refused');
      return;
    }
    const { form, metadata } = found;
    const values = formValues(form, view.state.values as ViewStateValues);
    const problems = Object.entries(formProblems(form, values));
    const preview =
      problems.length > 0
        ? md`:warning: ${problems.map(([field, problem]) => `${field}: ${problem}`).join('; ')}`
        : (
            await previewRequest(
              deps,
              typed(form, form.text(values, true), metadata, body.user, body.team, body.trigger_id),
            )
          ).text;
    await client.views
      .update({
        view_id: view.id,
        hash: view.hash,
        view: formView(form, {
          values,
          metadata: view.private_metadata,
          ...(metadata.shortcut && { note: timeNote(metadata.shortcut) }),
          preview: previewHeading(preview),
        }),
      })
      .catch((error: unknown) => log.warn({ err: error }, 'could not show a preview'));
  });

  // A choice in a field the others depend on (the app of a deploy): the form redrawn with its
  // values, the dependent choices narrowed.
  const dispatching = [
    ...new Set(
      Object.values(forms).flatMap((form) =>
        form.fields.filter((f) => f.dispatch).map((f) => f.name),
      ),
    ),
  ];
  app.action<BlockAction>(
    { type: 'block_actions', action_id: new RegExp(`^(${dispatching.join('|')})$`) },
    async ({ ack, body, client }) => {
      await ack();
      const view = body.view;
      const found = view ? formOf(view, body.user.id) : { refused: 'no view' };
      if (!view || 'refused' in found) return;
      const { form, metadata } = found;
      await client.views
        .update({
          view_id: view.id,
          hash: view.hash,
          view: formView(form, {
            values: formValues(form, view.state.values as ViewStateValues),
            metadata: view.private_metadata,
            ...(metadata.shortcut && { note: timeNote(metadata.shortcut) }),
          }),
        })
        .catch((error: unknown) => log.warn({ err: error }, 'could not redraw a form'));
    },
  );

  // Only the forms' pickers: other surfaces may have external selects of their own.
  const pickers = [
    ...new Set(
      Object.values(forms).flatMap((form) =>
        form.fields.filter((f) => f.kind === 'select' || f.kind === 'suggest').map((f) => f.name),
      ),
    ),
  ];
  app.options<'block_suggestion'>(new RegExp(`^(${pickers.join('|')})$`), async ({ ack, body }) => {
    const suggestion = body as BlockSuggestion;
    const view = suggestion.view;
    const found = view ? formOf(view, suggestion.user.id) : { refused: 'no view' };
    if ('refused' in found) {
      await ack({ options: [] });
      return;
    }
    const { form, metadata } = found;
    const field = form.fields.find((f) => f.name === suggestion.action_id);
    const typedText = suggestion.value ?? '';
    if (field?.kind === 'select') {
      const matching = (field.options ?? []).filter((o) => o.value.includes(typedText.trim()));
      await ack(suggestedOptions(matching));
      return;
    }
    const database = formValues(form, view!.state.values as ViewStateValues).database;
    if (form.id !== 'restore-table' || field?.name !== 'table' || typeof database !== 'string') {
      await ack({ options: [] });
      return;
    }
    const allowed = await mayRestore(deps, suggestion.user.id, metadata, database);
    const names = allowed
      ? await suggestTables(deps.aws.rds, deps.databases, database, typedText).catch(
          (error: unknown) => {
            log.warn({ err: error, database }, 'could not suggest tables');
            return [];
          },
        )
      : [];
    await ack(suggestedOptions(names.map((name) => ({ label: name, value: name }))));
  });

  return {
    async openForm(command, ack, client) {
      const text = command.text.trim();
      const form =
        command.command === '/restore-table' && text === ''
          ? forms['restore-table']
          : command.command === '/deploy' && text === '' && config.deploy
            ? forms.deploy
            : command.command === '/phz' && text === 'add'
              ? forms['phz-add']
              : undefined;
      if (!form) return false;
      await ack();
      await open(
        client,
        command.trigger_id,
        form,
        {
          userId: command.user_id,
          channel: { id: command.channel_id, name: command.channel_name },
        },
        form.id === 'restore-table' ? { mode: 'side' } : {},
      );
      return true;
    },
  };
}

/** The time the shortcut chose, in the user's time zone (when Slack gave one the runtime knows) and in UTC. */
function timeNote(shortcut: NonNullable<ModalMetadata['shortcut']>): Mrkdwn {
  const at = new Date(shortcut.at);
  const local = shortcut.zone === undefined ? undefined : zonedTime(at, shortcut.zone);
  return shortcut.zone !== undefined && local !== undefined
    ? md`One second before that message: *${local}* in your time zone (${shortcut.zone}), ${shortcut.at} in UTC.`
    : md`One second before that message: ${shortcut.at} in UTC.`;
}

/** The user's IANA time zone from users.info (`tz`), if Slack says. */
async function timeZoneOf(client: WebClient, userId: string): Promise<string | undefined> {
  try {
    const info = await client.users.info({ user: userId });
    return typeof info.user?.tz === 'string' && info.user.tz !== '' ? info.user.tz : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the access rules let this user restore a table of `database` from that channel. */
async function mayRestore(
  deps: FrontDoorDeps,
  userId: string,
  metadata: ModalMetadata,
  database: string,
): Promise<boolean> {
  const groups = await deps.userGroups.lookUp(
    userId,
    userGroupsNamed(deps.config.access),
    USER_GROUP_LOOKUP_MS,
  );
  return authorize(deps.config.access, {
    command: 'restore-table',
    target: database,
    userId,
    channelId: metadata.channel.id,
    channelName: metadata.channel.name,
    ...(groups.memberOf.length > 0 && { userGroupIds: groups.memberOf }),
  }).allowed;
}
