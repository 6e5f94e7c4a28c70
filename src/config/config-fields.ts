import { z } from 'zod';

/** Fields several config sections share, with the messages users see when they are wrong. */

/** The NAME of the environment variable that holds a secret (secrets never go in the file). */
export const envName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be the NAME of an environment variable (A-Z, 0-9, _)');

/** A Slack channel, by id or by #name. */
export const channelRef = z
  .string()
  .regex(
    /^(#[a-z0-9][a-z0-9_-]{0,79}|[CGD][A-Z0-9]{2,20})$/,
    'must be a channel id (C..., G..., D...) or a #name',
  );
