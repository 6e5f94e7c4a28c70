import type { WorkSigner } from '../../util/work-signature';
import type { FormId } from './form-spec';

/**
 * What a form carries in its view's private_metadata, signed by the bot: which form, for whom,
 * the channel it was opened from (where the answer goes, as a typed command's would), until when.
 * A submission whose metadata the bot did not sign for this user (a view it did not open, a
 * forged or edited channel, another user's form) is refused.
 */
export interface ModalMetadata {
  form: FormId;
  userId: string;
  channel: { id: string; name: string };
  /** Opened by the restore shortcut: the time it chose (ISO) and the user's zone, shown above the fields. */
  shortcut?: { at: string; zone?: string };
  expiresAt: number;
}

/** A form stays usable for a day: longer than anyone fills one in. */
const TTL_MS = 24 * 3600 * 1000;

export function signMetadata(
  signer: WorkSigner,
  metadata: Omit<ModalMetadata, 'expiresAt'>,
  now = Date.now(),
): string {
  const record: ModalMetadata = { ...metadata, expiresAt: now + TTL_MS };
  return JSON.stringify({ m: record, mac: signer.sign('modal', record) });
}

export type MetadataCheck = { ok: true; metadata: ModalMetadata } | { ok: false; reason: string };

export function checkMetadata(
  signer: WorkSigner,
  raw: string | undefined,
  userId: string,
  now = Date.now(),
): MetadataCheck {
  let parsed: { m?: ModalMetadata; mac?: unknown };
  try {
    parsed = JSON.parse(raw ?? '') as { m?: ModalMetadata; mac?: unknown };
  } catch {
    return { ok: false, reason: 'it carries no form of opsdeck' };
  }
  if (typeof parsed !== 'object' || parsed === null || parsed.m === undefined)
    return { ok: false, reason: 'it carries no form of opsdeck' };
  const check = signer.check('modal', parsed.m, parsed.mac);
  if (!check.ok)
    return { ok: false, reason: `its form data is not signed by opsdeck (${check.reason})` };
  if (parsed.m.userId !== userId)
    return { ok: false, reason: 'the form was opened for someone else' };
  if (!(parsed.m.expiresAt > now))
    return { ok: false, reason: 'the form has expired; open it again' };
  return { ok: true, metadata: parsed.m };
}
