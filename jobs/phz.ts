import { ChangeResourceRecordSetsCommand, GetChangeCommand } from '@aws-sdk/client-route-53';
import { resolvePrivateZone } from '../src/dns/hosted-zone';
import { negativeTtlWarning } from '../src/dns/negative-ttl';
import {
  RecordChange,
  changeBatch,
  describeChange,
  type RecordValues,
} from '../src/dns/record-change';
import { recordSetText } from '../src/dns/record-set-text';
import { recordSetsAt, type RecordSet } from '../src/dns/record-sets';
import { sameValues } from '../src/dns/record-value';
import { ErrorCode, OpsdeckError } from '../src/errors';
import { defineRunbook, step, type StepContext } from '../src/runbook/define-runbook';
import { sayAtMostEveryInterval } from '../src/runbook/rate-limited-say';
import { sleep } from '../src/util/sleep';
import { formatDuration } from '../src/util/duration';
import { md, storedMrkdwn } from '../src/slack/mrkdwn';

/**
 * `/phz add` and `/phz remove`: one change to a record set of a private hosted zone, planned
 * (old and new values) in the front door. The change is submitted once: the step looks at the
 * record set first, records its intent, submits, and records the change id; a resumed job waits
 * on that change id, and one interrupted between submitting and recording finds the record
 * already as planned and does not submit again. Then it waits for INSYNC and reports.
 */
type Ctx = StepContext<RecordChange>;

interface PhzState {
  /** Set just before ChangeResourceRecordSets is called. */
  submitting?: boolean;
  changeId?: string;
  submittedAt?: number;
  /** The record was already as planned when the step looked (no change of ours to wait for). */
  alreadyApplied?: boolean;
  insyncAfterMs?: number;
  negativeTtlWarning?: string | null;
}

const state = (ctx: Ctx) => ctx.state as PhzState;

async function currentSet(ctx: Ctx): Promise<RecordSet | undefined> {
  const { zone, name, type } = ctx.input;
  const sets = await recordSetsAt(ctx.services.aws.route53, zone.id, name, ctx.signal);
  return sets.find((set) => set.type === type);
}

function isState(set: RecordSet | undefined, values: RecordValues | undefined, type: string) {
  if (values === undefined) return set === undefined;
  return (
    set !== undefined &&
    set.alias === undefined &&
    set.ttl === values.ttl &&
    sameValues(type, set.values, values.values)
  );
}

async function checkZone(ctx: Ctx): Promise<void> {
  const { aws, config, redis, redisPrefix } = ctx.services;
  const zone = await resolvePrivateZone(aws.route53, ctx.input.zone.id, ctx.signal);
  if (zone.name !== ctx.input.zone.name) {
    throw new OpsdeckError(
      ErrorCode.DnsZoneRefused,
      `zone ${zone.id} is named ${zone.name} now, not ${ctx.input.zone.name} as planned`,
    );
  }
  const sets = await recordSetsAt(aws.route53, zone.id, zone.name, ctx.signal);
  const soa = sets.find((set) => set.type === 'SOA');
  const warning = soa
    ? (negativeTtlWarning(zone, soa, config.phz.negativeTtlWarnSeconds) ?? null)
    : null;
  await ctx.remember({ negativeTtlWarning: warning });
  await ctx.say(md`zone \`${zone.name}\` (${zone.id}) is private, VPCs: ${zone.vpcs.join(', ')}`);
  // Once per zone (first use), at the start; `add` repeats it in its report.
  const key = `${redisPrefix}:phz:negative-ttl-shown:${zone.id}`;
  if (warning && (await redis.set(key, ctx.meta.jobId, 'NX')) === 'OK') {
    await ctx.say(md`First use of this zone. ${warning}`);
  }
}

async function applyChange(ctx: Ctx): Promise<void> {
  const change = ctx.input;
  const done = state(ctx);
  if (done.changeId !== undefined) {
    await ctx.say(md`change ${done.changeId} was submitted before the interruption; not again`);
    return;
  }
  const current = await currentSet(ctx);
  if (isState(current, change.new, change.type)) {
    await ctx.remember({ alreadyApplied: true });
    await ctx.say(
      done.submitting
        ? md`:information_source: the change is already applied (submitted just before an interruption); not applying it again`
        : md`:information_source: the record is already as planned; nothing to apply`,
    );
    return;
  }
  if (!isState(current, change.old, change.type)) {
    const found = current ? recordSetText(current) : 'no record';
    const expected = change.old ? recordSetText({ type: change.type, ...change.old }) : 'no record';
    throw new OpsdeckError(
      ErrorCode.DnsRecordConflict,
      `\`${change.name}\` ${change.type} changed since the plan: expected ${expected}, found ${found}. Nothing was changed; look with /phz list and ask again.`,
    );
  }
  await ctx.remember({ submitting: true });
  let submitted;
  try {
    submitted = await ctx.services.aws.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: change.zone.id,
        ChangeBatch: { Comment: `opsdeck ${ctx.meta.jobId}`, Changes: changeBatch(change) },
      }),
      { abortSignal: ctx.signal },
    );
  } catch (error) {
    if ((error as Error).name === 'InvalidChangeBatch') {
      throw new OpsdeckError(
        ErrorCode.DnsRecordConflict,
        `Route53 refused the change, nothing was changed: ${(error as Error).message}`,
        { cause: error },
      );
    }
    throw error;
  }
  const changeId = submitted.ChangeInfo!.Id!.replace(/^\/change\//, '');
  await ctx.remember({ changeId, submittedAt: Date.now() });
  await ctx.say(md`submitted change ${changeId}: ${describeChange(change)}`);
}

async function waitInsync(ctx: Ctx): Promise<void> {
  const { changeId, submittedAt } = state(ctx);
  if (changeId === undefined || submittedAt === undefined) {
    await ctx.say(md`no change of this job to wait for`);
    return;
  }
  const { phz } = ctx.services.config;
  const deadline = submittedAt + phz.maxWaitSeconds * 1000;
  const sayWaiting = sayAtMostEveryInterval(ctx, -Infinity);
  for (;;) {
    const { ChangeInfo } = await ctx.services.aws.route53.send(
      new GetChangeCommand({ Id: changeId }),
      { abortSignal: ctx.signal },
    );
    const now = Date.now();
    const elapsed = now - submittedAt;
    if (ChangeInfo?.Status === 'INSYNC') {
      await ctx.remember({ insyncAfterMs: elapsed });
      return;
    }
    if (now >= deadline) {
      throw new OpsdeckError(
        ErrorCode.DnsChangeTimeout,
        `change ${changeId} is still ${ChangeInfo?.Status ?? 'unknown'} after ${phz.maxWaitSeconds} s. It is applied and Route53 keeps propagating it (usually within 60 s); check with /phz list.`,
      );
    }
    await sayWaiting(
      md`:hourglass_flowing_sand: change ${changeId} ${ChangeInfo?.Status ?? 'unknown'}, ${Math.round(elapsed / 1000)} s elapsed`,
    );
    await sleep(phz.pollIntervalMs, ctx.signal);
  }
}

async function report(ctx: Ctx): Promise<void> {
  const change = ctx.input;
  const { insyncAfterMs, negativeTtlWarning: warning } = state(ctx);
  const current = await currentSet(ctx);
  const synced =
    insyncAfterMs === undefined ? '' : ` (INSYNC after ${formatDuration(insyncAfterMs)})`;
  if (change.action === 'delete') {
    await ctx.say(
      current
        ? md`:warning: \`${change.name}\` ${change.type} is back: ${recordSetText(current)} (someone added it since)${synced}`
        : md`:white_check_mark: \`${change.name}\` ${recordSetText({ type: change.type, ...change.old! })} removed${synced}`,
    );
    return;
  }
  const was = change.old ? ` (was ${recordSetText({ type: change.type, ...change.old })})` : '';
  await ctx.say(
    current
      ? md`:white_check_mark: \`${change.name}\` is ${recordSetText(current)}${was}${synced}`
      : md`:warning: \`${change.name}\` ${change.type} is gone again (someone removed it since)${synced}`,
  );
  if (warning) await ctx.say(storedMrkdwn(warning));
}

export default defineRunbook({
  name: 'phz',
  input: RecordChange,
  steps: [
    step('check-zone', checkZone),
    step('apply-change', applyChange),
    step('wait-insync', waitInsync),
    step('report', report),
  ],
});
