import { z } from 'zod';
import { channelRef } from './config-fields';

/**
 * The `phz` section: the Route53 private hosted zones `/phz` may change, and which one a request
 * means when it names none. A zone is named by its name (`prod.example.internal`) or its id
 * (`Z0123456789ABCDEFGHIJ`); `--zone` must name one of the zones listed here (`zones`, the
 * default and the channel defaults together).
 *
 *   phz:
 *     zones: [prod.example.internal, Z0123456789ABCDEFGHIJ]
 *     defaultZone: prod.example.internal
 *     channelZones: { '#billing-ops': billing.example.internal, C0123ABCD: Z0123456789ABCDEFGHIJ }
 */

export const ZONE_ID_PATTERN = /^Z[A-Z0-9]{1,32}$/;
const ZONE_NAME_PATTERN =
  /^(?=.{1,254}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.?$/;

/** A zone as configured or typed: an id (`/hostedzone/` prefix dropped) or a name without its dot. */
export function normalizeZoneRef(text: string): string {
  const id = text.replace(/^\/hostedzone\//, '');
  if (ZONE_ID_PATTERN.test(id)) return id;
  return text.toLowerCase().replace(/\.$/, '');
}

export function isZoneRef(text: string): boolean {
  return ZONE_ID_PATTERN.test(normalizeZoneRef(text)) || ZONE_NAME_PATTERN.test(text.toLowerCase());
}

const zoneRef = z
  .string()
  .refine(isZoneRef, 'must be a hosted zone id (Z...) or a zone name (prod.example.internal)')
  .transform(normalizeZoneRef);

export const PhzConfig = z.strictObject({
  /** Zones `/phz` may use besides the defaults below. */
  zones: z.array(zoneRef).default([]),
  /** The zone of requests without `--zone` from channels not in `channelZones`. */
  defaultZone: zoneRef.optional(),
  /** A channel's own default zone, by channel id or #name. */
  channelZones: z.record(channelRef, zoneRef).default({}),
  /** How long a job waits for Route53 to report a change INSYNC before it gives up (within the step timeout). */
  maxWaitSeconds: z.number().int().min(1).max(600).default(300),
  /** How often the job asks Route53 (GetChange) while it waits. */
  pollIntervalMs: z.number().int().min(100).max(60_000).default(5000),
  /** The negative-caching TTL above which `/phz` warns. */
  negativeTtlWarnSeconds: z.number().int().min(0).default(60),
});

export type PhzConfig = z.infer<typeof PhzConfig>;

/** Every zone reference the config allows, normalized, in a stable order. */
export function configuredZones(config: PhzConfig): string[] {
  return [
    ...new Set([
      ...(config.defaultZone ? [config.defaultZone] : []),
      ...Object.values(config.channelZones),
      ...config.zones,
    ]),
  ];
}

/**
 * The zone a request means: `--zone` as typed (normalized; the planner checks it is configured),
 * else the channel's default (by id, then #name), else the global default; undefined when none
 * applies. It is the request's access target, so rules can differ per zone.
 */
export function zoneFor(
  config: PhzConfig,
  requested: string | undefined,
  channel: { id: string; name: string },
): string | undefined {
  if (requested !== undefined) return normalizeZoneRef(requested);
  return (
    config.channelZones[channel.id] ?? config.channelZones[`#${channel.name}`] ?? config.defaultZone
  );
}
