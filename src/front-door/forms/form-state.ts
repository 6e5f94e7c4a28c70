import type { FormSpec, FormValues } from './form-spec';

/** A view's `state.values` as Slack sends it: block_id → action_id → the element's state. */
export type ViewStateValues = Record<string, Record<string, ElementState | undefined> | undefined>;

interface ElementState {
  type?: string;
  value?: string | null;
  selected_option?: { value?: string } | null;
  selected_options?: { value?: string }[] | null;
}

/** The form's values from a submitted (or previewed) view's state. */
export function formValues(form: FormSpec, state: ViewStateValues | undefined): FormValues {
  const values: FormValues = {};
  for (const field of form.fields) {
    const element = state?.[field.name]?.[field.name];
    if (!element) continue;
    if (field.kind === 'flags') {
      values[field.name] = (element.selected_options ?? []).flatMap((o) =>
        typeof o.value === 'string' ? [o.value] : [],
      );
    } else if (field.kind === 'text') {
      if (typeof element.value === 'string') values[field.name] = element.value;
    } else if (typeof element.selected_option?.value === 'string') {
      values[field.name] = element.selected_option.value;
    }
  }
  return values;
}

/**
 * What is wrong before the command is even built: a required field left empty (Slack checks
 * that in its clients; a request can still lack it), or a positional value starting with `-`,
 * which the parser would read as an option. Field name → message.
 */
export function formProblems(form: FormSpec, values: FormValues): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const field of form.fields) {
    const value = values[field.name];
    const empty = value === undefined || (typeof value === 'string' && value.trim() === '');
    if (empty && !field.optional && field.kind !== 'flags') problems[field.name] = 'is required';
    else if (
      typeof value === 'string' &&
      field.arguments[0]?.startsWith('<') &&
      value.trim().startsWith('-')
    )
      problems[field.name] = 'cannot start with - (it would read as an option)';
  }
  return problems;
}
