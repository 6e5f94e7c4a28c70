import { z } from 'zod';

/**
 * Numbers as the grammars take them: plain decimal digits, nothing else. `Number()` and
 * `z.coerce.number()` read `0x3c` as 60, `1e1` as 10, `0b1`, ` 5 `, `5.` and `Infinity` too, so
 * what the user typed is not what the command would use; every numeric argument of every
 * command goes through here instead (lint refuses `z.coerce` and `Number(` in commands/).
 *
 * A whole number is 1-9 ASCII digits (`007` is 7); with `fractionDigits`, a decimal point and up
 * to that many digits may follow (`0.5`). No sign, exponent, base prefix, separator or space.
 */
export interface DecimalSpec {
  min: number;
  max: number;
  /** Digits allowed after a decimal point; 0 (the default) for whole numbers only. */
  fractionDigits?: number;
  /** What the value is, for the message: `seconds`, `hours`. */
  unit?: string;
}

/** The value of `text` under `spec`, or null when it is not a plain decimal number in range. */
export function parseDecimal(text: string, spec: DecimalSpec): number | null {
  const fraction = spec.fractionDigits ?? 0;
  const shape = fraction > 0 ? new RegExp(`^\\d{1,9}(?:\\.\\d{1,${fraction}})?$`) : /^\d{1,9}$/;
  if (!shape.test(text)) return null;
  const value = Number(text);
  return value >= spec.min && value <= spec.max ? value : null;
}

/** The message a bad value gets: what is expected, in the user's words. */
export function decimalMessage(spec: DecimalSpec): string {
  const fraction = (spec.fractionDigits ?? 0) > 0;
  const unit = spec.unit ? ` of ${spec.unit}` : '';
  const number = fraction ? `a number${unit}` : `a whole number${unit}`;
  const digits = fraction ? 'decimal digits, like 0.5' : 'decimal digits';
  return `must be ${number} from ${spec.min} to ${spec.max} (${digits})`;
}

/**
 * A zod schema for a numeric argument (typed as text): its value, or an issue naming what is
 * expected (parse-command puts the argument's name in front).
 */
export function decimalArgument(spec: DecimalSpec) {
  const message = decimalMessage(spec);
  return z.string({ error: message }).transform((text, ctx) => {
    const value = parseDecimal(text, spec);
    if (value === null) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return value;
  });
}
