import { z } from 'zod';
import {
  defineCommand,
  reply,
  subcommand,
  type CommandContext,
  type RunbookPlan,
  type TargetContext,
} from '../src/command/define-command';
import { DnsInputError } from '../src/dns/dns-input-error';
import { resolvePrivateZone, type PrivateZone } from '../src/dns/hosted-zone';
import { negativeTtlWarning } from '../src/dns/negative-ttl';
import { configuredZones, isZoneRef, zoneFor } from '../src/config/phz';
import { describeChange, type RecordChange } from '../src/dns/record-change';
import { parseDnsName, qualifyRecordName, relativeName } from '../src/dns/record-name';
import { recordSetLine, recordSetText } from '../src/dns/record-set-text';
import { listRecordSets, recordSetsAt, type RecordSet } from '../src/dns/record-sets';
import {
  RECORD_TYPES,
  isRecordType,
  parseRecordValue,
  sameValues,
  type RecordType,
} from '../src/dns/record-value';
import { REMOVAL_CODE_PATTERN, removalCode } from '../src/dns/removal-code';
import { ErrorCode, UsageError, isOpsdeckError } from '../src/errors';
import { confirmBlocks } from '../src/command/confirm-button';
import { decimalArgument } from '../src/command/decimal-number';
import { runbookPlan } from '../src/command/runbook-plan';
import phz from '../jobs/phz';
import { code, join, md, type Mrkdwn } from '../src/slack/mrkdwn';

/**
 * `/phz`: service discovery records in a Route53 private hosted zone. The planners read the
 * zone (so the user sees what exists, old and new, before anything is queued); the change itself
 * is the `phz` runbook (jobs/phz.ts): apply, wait for INSYNC, report.
 */

const ADD_USAGE =
  '/phz add <name> <value> [--type CNAME|A|AAAA|TXT|SRV] [--ttl <s>] [--zone <zone>] [--replace]';
const LIST_USAGE = '/phz list [--zone <zone>] [<filter>]';
const REMOVE_USAGE = '/phz remove <name> [--type <type>] [--zone <zone>]';
/** Lines a listing shows at most (an ephemeral answer is read, not scrolled). */
const LIST_LIMIT = 100;

const typeSchema = z
  .string()
  .transform((text) => text.toUpperCase())
  .refine(isRecordType, `must be one of ${RECORD_TYPES.join(', ')}`)
  .transform((text) => text as RecordType);

const zoneOption = z
  .string()
  .refine(isZoneRef, 'must be a zone name (prod.example.internal) or a hosted zone id (Z...)')
  .optional();

const nameSchema = z.string().superRefine((name, ctx) => {
  if (name === '@') return;
  try {
    parseDnsName(name);
  } catch (error) {
    if (!(error instanceof DnsInputError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
  }
});

/** Without --type: an IPv4 address is A, an IPv6 address AAAA, anything else a CNAME target. */
function inferType(value: string): RecordType {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(value)) return 'A';
  if (value.includes(':') && !/\s/.test(value)) return 'AAAA';
  return 'CNAME';
}

const addSchema = z
  .strictObject({
    name: nameSchema,
    value: z.array(z.string()).min(1, 'is missing (like 10.0.1.17, or a host name for a CNAME)'),
    type: typeSchema.optional(),
    ttl: decimalArgument({ min: 0, max: 86400, unit: 'seconds' }).default(60),
    zone: zoneOption,
    replace: z.boolean().default(false),
  })
  .transform((input, ctx) => {
    const text = input.value.join(' ');
    const type = input.type ?? inferType(text);
    try {
      return { ...input, type, value: parseRecordValue(type, text) };
    } catch (error) {
      if (!(error instanceof DnsInputError)) throw error;
      ctx.addIssue({ code: 'custom', path: ['value'], message: error.message });
      return z.NEVER;
    }
  });

const listSchema = z.strictObject({
  filter: z.string().max(253, 'is longer than any DNS name').optional(),
  zone: zoneOption,
});

const removeSchema = z.strictObject({
  name: nameSchema,
  type: typeSchema.optional(),
  zone: zoneOption,
  confirm: z.string().regex(REMOVAL_CODE_PATTERN, 'is not a confirmation code').optional(),
});

const zoneTarget = (input: { zone?: string | undefined }, where: TargetContext) =>
  zoneFor(where.config.phz, input.zone, {
    id: where.requester.channelId,
    name: where.requester.channelName,
  });

/** The configured zone a request means, resolved to the private zone it is in Route53. */
async function privateZone(
  input: { zone?: string | undefined },
  ctx: CommandContext,
  usage: string,
): Promise<PrivateZone> {
  const ref = zoneTarget(input, ctx);
  const configured = configuredZones(ctx.config.phz);
  const known = configured.length > 0 ? configured.join(', ') : 'none; see `phz` in the config';
  if (ref === undefined) {
    throw new UsageError(
      `no zone given and this channel has no default zone: add --zone (configured zones: ${known})`,
      usage,
    );
  }
  if (!configured.includes(ref)) {
    throw new UsageError(`--zone: ${ref} is not a zone /phz may use (configured: ${known})`, usage);
  }
  try {
    return await resolvePrivateZone(ctx.aws.route53, ref);
  } catch (error) {
    if (isOpsdeckError(error) && error.code === ErrorCode.DnsZoneRefused) {
      throw new UsageError(`--zone: ${error.message}`, usage, { cause: error });
    }
    throw error;
  }
}

function qualify(name: string, zone: PrivateZone, usage: string): string {
  try {
    return qualifyRecordName(name, zone.name);
  } catch (error) {
    if (error instanceof DnsInputError) throw new UsageError(`<name>: ${error.message}`, usage);
    throw error;
  }
}

function changePlan(change: RecordChange, zone: PrivateZone): RunbookPlan {
  return runbookPlan(phz, change, undefined, {
    summary: md`${describeChange(change)} in zone ${zone.name}`,
  });
}

/** Why a record of `type` cannot go where `existing` are, or undefined (RFC 1034 §3.6.2). */
function cnameConflict(
  name: string,
  type: RecordType,
  existing: RecordSet[],
  zone: PrivateZone,
): Mrkdwn | undefined {
  const rel = relativeName(name, zone.name);
  const others = existing.filter((set) => set.type !== type);
  if (type === 'CNAME' && others.length > 0) {
    const types = others.map((set) => set.type).join(', ');
    const apex = name === zone.name ? ' (the zone apex always has SOA and NS)' : '';
    return md`:no_entry: ${code(name)} already has ${types} records, and a CNAME cannot share its name with any other record${apex}. Nothing changed. Pick another name, or remove them first (${code(`/phz remove ${rel} --type ${others[0]!.type}`)}).`;
  }
  const cname = existing.find((set) => set.type === 'CNAME');
  if (type !== 'CNAME' && cname) {
    return md`:no_entry: ${code(name)} is a CNAME (${recordSetText(cname)}), and no other record can share a CNAME's name. Nothing changed. To turn it into ${type}: ${code(`/phz remove ${rel} --type CNAME`)}, then add the ${type} record.`;
  }
  return undefined;
}

async function planAdd(input: z.infer<typeof addSchema>, ctx: CommandContext) {
  const zone = await privateZone(input, ctx, ADD_USAGE);
  const name = qualify(input.name, zone, ADD_USAGE);
  const wanted = { ttl: input.ttl, values: [input.value] };
  const existing = await recordSetsAt(ctx.aws.route53, zone.id, name);
  const conflict = cnameConflict(name, input.type, existing, zone);
  if (conflict) return reply(conflict);
  const current = existing.find((set) => set.type === input.type);
  const shown = recordSetText({ type: input.type, ...wanted });
  const where = { id: zone.id, name: zone.name };
  if (!current)
    return changePlan({ action: 'create', zone: where, name, type: input.type, new: wanted }, zone);
  if (current.alias !== undefined) {
    return reply(
      md`:no_entry: ${code(name)} is an alias record (${recordSetText(current)}); /phz does not change alias records. Nothing changed.`,
    );
  }
  if (current.ttl === wanted.ttl && sameValues(input.type, current.values, wanted.values)) {
    return reply(md`:information_source: Nothing to do: ${code(name)} already is ${shown}.`);
  }
  const old = { ttl: current.ttl, values: current.values };
  if (!input.replace) {
    return reply(
      md`:warning: ${code(name)} already has a different ${input.type} record. Nothing changed.
• now: ${recordSetText(current)}
• you asked for: ${shown}
To replace it, run the command again with \`--replace\`.`,
    );
  }
  return changePlan(
    { action: 'replace', zone: where, name, type: input.type, old, new: wanted },
    zone,
  );
}

async function planRemove(input: z.infer<typeof removeSchema>, ctx: CommandContext) {
  const zone = await privateZone(input, ctx, REMOVE_USAGE);
  const name = qualify(input.name, zone, REMOVE_USAGE);
  const existing = await recordSetsAt(ctx.aws.route53, zone.id, name);
  const candidates = existing.filter((set) => input.type === undefined || set.type === input.type);
  if (candidates.length === 0) {
    const there = existing.length > 0 ? ` (it has ${existing.map((s) => s.type).join(', ')})` : '';
    const what = input.type === undefined ? 'record' : `${input.type} record`;
    return reply(
      md`:information_source: Nothing to remove: zone ${zone.name} has no ${what} named ${code(name)}${there}.`,
    );
  }
  if (candidates.length > 1) {
    throw new UsageError(
      `\`${name}\` has ${candidates.map((set) => set.type).join(', ')} records: say which one with --type`,
      REMOVE_USAGE,
    );
  }
  const set = candidates[0]!;
  if (!isRecordType(set.type) || set.alias !== undefined) {
    return reply(
      md`:no_entry: ${code(name)} ${recordSetText(set)} is not a record /phz manages (it manages ${RECORD_TYPES.join(', ')} records that are not aliases). Nothing changed.`,
    );
  }
  const type = set.type;
  const confirmation = removalCode(zone.id, set);
  const rel = relativeName(name, zone.name);
  const confirmed = `/phz remove ${rel} --type ${type} --zone ${zone.name.slice(0, -1)} --confirm ${confirmation}`;
  if (input.confirm !== confirmation) {
    const changed =
      input.confirm === undefined
        ? md``
        : md`:warning: The record is not what it was when that confirmation was asked for.`;
    const text = md`${changed}:wastebasket: This deletes exactly ${code(name)} ${recordSetText(set)} from zone ${zone.name}. Press *Remove it* to confirm, or type ${code(confirmed)}.`;
    return reply(text, confirmBlocks(text, 'Remove it', confirmed));
  }
  return changePlan(
    {
      action: 'delete',
      zone: { id: zone.id, name: zone.name },
      name,
      type,
      old: { ttl: set.ttl, values: set.values },
    },
    zone,
  );
}

async function planList(input: z.infer<typeof listSchema>, ctx: CommandContext) {
  const zone = await privateZone(input, ctx, LIST_USAGE);
  const filter = input.filter?.toLowerCase();
  const { sets, truncated } = await listRecordSets(
    ctx.aws.route53,
    zone.id,
    (set) => filter === undefined || recordSetLine(set, zone.name).toLowerCase().includes(filter),
    LIST_LIMIT,
  );
  const soa = sets.find((set) => set.type === 'SOA' && set.name === zone.name);
  const shown = sets.filter(
    (set) => set.name !== zone.name || (set.type !== 'SOA' && set.type !== 'NS'),
  );
  const matching = filter === undefined ? '' : ` matching "${input.filter}"`;
  const head = md`*Zone ${zone.name}* (${zone.id}, private, VPCs: ${zone.vpcs.join(', ') || 'none'})${matching}`;
  const lines = shown.map((set) => md`• ${recordSetLine(set, zone.name)}`);
  if (lines.length === 0)
    lines.push(filter === undefined ? md`No records yet.` : md`No record matches.`);
  if (truncated) lines.push(md`…and more: narrow it with a filter (${code(LIST_USAGE)}).`);
  const warning = soa && negativeTtlWarning(zone, soa, ctx.config.phz.negativeTtlWarnSeconds);
  return reply(join([head, ...lines, ...(warning ? [md``, warning] : [])], '\n'));
}

export default defineCommand({
  name: 'phz',
  summary: 'service discovery records in a Route53 private hosted zone',
  subcommands: [
    subcommand({
      name: 'add',
      usage: ADD_USAGE,
      summary:
        'add a record (type from the value: A, AAAA, else CNAME); an existing different one only with --replace',
      positionals: ['name', 'value...'],
      options: {
        type: { type: 'string' },
        ttl: { type: 'string' },
        zone: { type: 'string' },
        replace: { type: 'boolean' },
      },
      schema: addSchema,
      target: zoneTarget,
      plan: planAdd,
    }),
    subcommand({
      name: 'list',
      usage: LIST_USAGE,
      summary: "the zone's records, those matching <filter> if given",
      positionals: ['filter'],
      options: { zone: { type: 'string' } },
      schema: listSchema,
      readOnly: true,
      target: zoneTarget,
      plan: planList,
    }),
    subcommand({
      name: 'remove',
      usage: REMOVE_USAGE,
      summary: 'delete exactly one record set, after you confirm what it is',
      positionals: ['name'],
      options: {
        type: { type: 'string' },
        zone: { type: 'string' },
        confirm: { type: 'string' },
      },
      schema: removeSchema,
      target: zoneTarget,
      plan: planRemove,
    }),
  ],
});
