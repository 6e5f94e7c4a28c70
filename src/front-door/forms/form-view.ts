import { actions, button, context, section, type Block } from '../../slack/blocks';
import {
  checkboxesInput,
  externalSelectInput,
  modalView,
  radioInput,
  selectInput,
  textInput,
  type ModalView,
} from '../../slack/input-blocks';
import { md, type Mrkdwn } from '../../slack/mrkdwn';
import type { FormField, FormSpec, FormValues } from './form-spec';

export const FORM_CALLBACK_PREFIX = 'opsdeck.form.';
export const PREVIEW_ACTION_ID = 'opsdeck.form.preview';
const PREVIEW_BLOCK_ID = 'preview';

export interface FormViewContent {
  values: FormValues;
  /** Signed private_metadata (modal-metadata.ts). */
  metadata: string;
  /** Lines above the fields (the time a shortcut chose, in the user's zone and in UTC). */
  note?: Mrkdwn;
  /** The plan a Preview showed, below the button. */
  preview?: Mrkdwn;
}

/** The form as a modal: its fields filled with `values`, a Preview button, the last preview. */
export function formView(form: FormSpec, content: FormViewContent): ModalView {
  const blocks: Block[] = [
    ...(content.note ? [context(content.note)] : []),
    ...form.fields.map((field) =>
      fieldInput(
        { ...field, options: form.optionsFor?.(field.name, content.values) ?? field.options },
        content.values[field.name],
      ),
    ),
    actions(
      [
        button({
          actionId: PREVIEW_ACTION_ID,
          label: 'Preview (dry run)',
          value: form.id,
        }),
      ],
      'preview-button',
    ),
    ...(content.preview ? [withBlockId(section(content.preview), PREVIEW_BLOCK_ID)] : []),
  ];
  return modalView({
    callbackId: `${FORM_CALLBACK_PREFIX}${form.id}`,
    title: form.title,
    submit: form.submit,
    privateMetadata: content.metadata,
    blocks,
  });
}

/** A one-section modal that answers instead of the form (a refused submission). */
export function answerView(title: string, text: Mrkdwn): ModalView {
  return modalView({
    callbackId: `${FORM_CALLBACK_PREFIX}answer`,
    title,
    close: 'Close',
    privateMetadata: '',
    blocks: [section(text)],
  });
}

function fieldInput(field: FormField, value: string | readonly string[] | undefined): Block {
  const common = {
    name: field.name,
    label: field.label,
    ...(field.hint && { hint: field.hint }),
    ...(field.optional && { optional: true }),
    ...(field.dispatch && { dispatch: true }),
  };
  // A required select of one choice (a single configured database) starts chosen.
  const only =
    field.kind === 'select' && !field.optional && field.options?.length === 1
      ? field.options[0]!.value
      : undefined;
  const given = typeof value === 'string' && value !== '' ? value : only;
  // A choice the field no longer offers (another app chosen) is dropped.
  const single =
    field.kind === 'select' && given !== undefined && !field.options?.some((o) => o.value === given)
      ? undefined
      : given;
  const chosen = single === undefined ? undefined : { label: single, value: single };
  switch (field.kind) {
    case 'text':
      return textInput({
        ...common,
        ...(single && { initial: single }),
        ...(field.placeholder && { placeholder: field.placeholder }),
      });
    case 'select':
      return selectInput({
        ...common,
        options: field.options ?? [],
        ...(chosen && { initial: chosen }),
      });
    case 'suggest':
      return externalSelectInput({ ...common, ...(chosen && { initial: chosen }) });
    case 'radio':
      return radioInput({
        ...common,
        options: field.options ?? [],
        initial: single ?? field.options?.[0]?.value ?? '',
      });
    case 'flags':
      return checkboxesInput({
        ...common,
        options: field.options ?? [],
        initial: Array.isArray(value) ? value : [],
      });
  }
}

function withBlockId(block: Block, blockId: string): Block {
  return { ...block, block_id: blockId } as Block;
}

export const previewHeading = (plan: Mrkdwn): Mrkdwn => md`*Preview* (nothing was run):\n${plan}`;
