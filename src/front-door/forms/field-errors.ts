import { plainText } from '../../slack/mrkdwn';
import type { FormSpec } from './form-spec';

/**
 * The command parser's and planner's message, split into its parts (`; `), each put on the field
 * it concerns: the one whose argument it names (`<database>: …`, `--at is missing`), else the
 * first whose `concerns` match; the rest on the form's first field. Block id → message, as
 * `response_action: errors` takes them.
 */
export function fieldErrors(form: FormSpec, message: string): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const part of message.split(/;\s+(?=[<-])/)) {
    const field = fieldOf(form, part) ?? form.fields[0]!.name;
    errors[field] = errors[field] ? `${errors[field]}; ${part}` : part;
  }
  for (const [field, text] of Object.entries(errors)) errors[field] = plainText(text, 1000);
  return errors;
}

function fieldOf(form: FormSpec, part: string): string | undefined {
  const named = form.fields.find((field) =>
    field.arguments.some((argument) => part.startsWith(argument) || part.includes(`${argument}:`)),
  );
  if (named) return named.name;
  return form.fields.find((field) => field.concerns?.some((pattern) => pattern.test(part)))?.name;
}
