import { tokenize } from '../../../../src/command/tokenize';
import type { OpsdeckConfig } from '../../../../src/config/schema';
import { fieldErrors } from '../../../../src/front-door/forms/field-errors';
import { option, word } from '../../../../src/front-door/forms/form-spec';
import { formProblems } from '../../../../src/front-door/forms/form-state';
import { restoreTableForm } from '../../../../src/front-door/forms/restore-table-form';

/** A form's fields become a command line the tokenizer reads back word for word. */
describe('form text', () => {
  // The form reads only the configured databases' names.
  const config = { databases: { billing: {} } } as unknown as OpsdeckConfig;
  const form = restoreTableForm(config);

  it.each([
    ['15m ago'],
    ['he said "no"'],
    ['back\\slash'],
    ['“smart” quotes'],
    ["it's"],
    ['plain'],
  ])('keeps %j one word', (value) => {
    expect(tokenize(`x ${word(value)} y`)).toEqual(['x', value, 'y']);
  });

  it('writes an option as typed, and one whose value starts with - as --name=value', () => {
    expect(option('at', '15m ago')).toEqual(['--at', '"15m ago"']);
    expect(tokenize(option('at', '--mode=replace').join(' '))).toEqual(['--at=--mode=replace']);
    expect(option('at', '')).toEqual([]);
  });

  it('builds the restore command from the fields, flags included', () => {
    expect(
      form.text(
        {
          database: 'billing',
          table: 'billing.invoices',
          at: '15m ago',
          mode: 'merge',
          flags: ['fire-triggers'],
        },
        false,
      ),
    ).toBe('billing billing.invoices --at "15m ago" --mode merge --fire-triggers');
  });

  it('puts each part of a message on the field it names or concerns', () => {
    expect(
      fieldErrors(
        form,
        '<database> is missing; <table>: must be <schema>.<table>; --at is missing',
      ),
    ).toEqual({
      database: '<database> is missing',
      table: '<table>: must be <schema>.<table>',
      at: '--at is missing',
    });
    expect(fieldErrors(form, 'table billing.x does not exist in production')).toEqual({
      table: 'table billing.x does not exist in production',
    });
    expect(
      fieldErrors(form, '2001-01-01T00:00:00Z is before the restore window of billing'),
    ).toEqual({ at: '2001-01-01T00:00:00Z is before the restore window of billing' });
    expect(fieldErrors(form, 'something nobody foresaw')).toEqual({
      database: 'something nobody foresaw',
    });
  });

  it('refuses an empty required field and a positional value that would read as an option', () => {
    expect(formProblems(form, { database: '-x', table: ' ', at: '1h ago', mode: 'side' })).toEqual({
      database: 'cannot start with - (it would read as an option)',
      table: 'is required',
    });
  });
});
