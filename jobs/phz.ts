import {
  changeStatus,
  currentRecordSet,
  holdsValues,
  submitRecordChange,
} from '../src/dns/apply-record-change';
import { resolvePrivateZone } from '../src/dns/hosted-zone';
import { zoneNegativeTtlWarning } from '../src/dns/negative-ttl';
import { RecordChange, describeChange } from '../src/dns/record-change';
import { recordSetText } from '../src/dns/record-set-text';
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
export default defineRunbook<RecordChange, PhzState>({
  name: 'phz',
  input: RecordChange,
  steps: [
    step('check-zone', checkZone, {
      describe: ({ zone }) =>
        md`check that zone ${zone.name} (${zone.id}) is private; its negative-caching TTL`,
    }),
    step('apply-change', applyChange, {
      describe: (change) =>
        change.action === 'create'
          ? md`CREATE the record set: ${describeChange(change)}`
          : change.action === 'replace'
            ? md`${describeChange(change)} (one atomic batch: DELETE the old values, CREATE the new)`
            : md`DELETE exactly this record set: ${describeChange(change)}`,
      irreversible: (change) => change.action !== 'create',
    }),
    step('wait-insync', waitInsync, {
      describe: () => md`wait until Route53 reports the change INSYNC (elapsed time in the thread)`,
    }),
    step('report', report, {
      describe: () => md`report the record as Route53 has it now, and the propagation time`,
    }),
  ],
});

interface PhzState {
  /** Set just before ChangeResourceRecordSets is called. */
  submitting: boolean;
  changeId: string;
  submittedAt: number;
  /** The record was already as planned when the step looked (no change of ours to wait for). */
  alreadyApplied: boolean;
  insyncAfterMs: number;
  /** The zone's negative-caching warning (rendered), null when it is fine. */
  negativeTtlWarning: string | null;
}

type Ctx = StepContext<RecordChange, PhzState>;

async function checkZone(ctx: Ctx): Promise<void> {
  const { aws, config, redis, redisPrefix } = ctx.services;
  const zone = await resolvePrivateZone(aws.route53, ctx.input.zone.id, ctx.signal);
  if (zone.name !== ctx.input.zone.name) {
    throw new OpsdeckError(
      ErrorCode.DnsZoneRefused,
      `zone ${zone.id} is named ${zone.name} now, not ${ctx.input.zone.name} as planned`,
    );
  }
  const warning = await zoneNegativeTtlWarning(
    aws.route53,
    zone,
    config.phz.negativeTtlWarnSeconds,
    ctx.signal,
  );
  await ctx.remember({ negativeTtlWarning: warning?.text ?? null });
  await ctx.say(md`zone \`${zone.name}\` (${zone.id}) is private, VPCs: ${zone.vpcs.join(', ')}`);
  // Once per zone (first use), at the start; `add` repeats it in its report.
  const key = `${redisPrefix}:phz:negative-ttl-shown:${zone.id}`;
  if (warning && (await redis.set(key, ctx.meta.jobId, 'NX')) === 'OK') {
    await ctx.say(md`First use of this zone. ${warning}`);
  }
}

async function applyChange(ctx: Ctx): Promise<void> {
  const change = ctx.input;
  const { route53 } = ctx.services.aws;
  const done = ctx.state;
  if (done.changeId !== undefined) {
    await ctx.say(md`change ${done.changeId} was submitted before the interruption; not again`);
    return;
  }
  const current = await currentRecordSet(route53, change, ctx.signal);
  if (holdsValues(current, change.new, change.type)) {
    await ctx.remember({ alreadyApplied: true });
    await ctx.say(
      done.submitting
        ? md`:information_source: the change is already applied (submitted just before an interruption); not applying it again`
        : md`:information_source: the record is already as planned; nothing to apply`,
    );
    return;
  }
  if (!holdsValues(current, change.old, change.type)) {
    const found = current ? recordSetText(current) : 'no record';
    const expected = change.old ? recordSetText({ type: change.type, ...change.old }) : 'no record';
    throw new OpsdeckError(
      ErrorCode.DnsRecordConflict,
      `\`${change.name}\` ${change.type} changed since the plan: expected ${expected}, found ${found}. Nothing was changed; look with /phz list and ask again.`,
    );
  }
  await ctx.remember({ submitting: true });
  const changeId = await submitRecordChange(
    route53,
    change,
    `opsdeck ${ctx.meta.jobId}`,
    ctx.signal,
  );
  await ctx.remember({ changeId, submittedAt: Date.now() });
  await ctx.say(md`submitted change ${changeId}: ${describeChange(change)}`);
}

async function waitInsync(ctx: Ctx): Promise<void> {
  const { changeId, submittedAt } = ctx.state;
  if (changeId === undefined || submittedAt === undefined) {
    await ctx.say(md`no change of this job to wait for`);
    return;
  }
  const { phz } = ctx.services.config;
  const deadline = submittedAt + phz.maxWaitSeconds * 1000;
  const sayWaiting = sayAtMostEveryInterval(ctx, -Infinity);
  for (;;) {
    const status = await changeStatus(ctx.services.aws.route53, changeId, ctx.signal);
    const now = Date.now();
    const elapsed = now - submittedAt;
    if (status === 'INSYNC') {
      await ctx.remember({ insyncAfterMs: elapsed });
      return;
    }
    if (now >= deadline) {
      throw new OpsdeckError(
        ErrorCode.DnsChangeTimeout,
        `change ${changeId} is still ${status ?? 'unknown'} after ${phz.maxWaitSeconds} s. It is applied and Route53 keeps propagating it (usually within 60 s); check with /phz list.`,
      );
    }
    await sayWaiting(
      md`:hourglass_flowing_sand: change ${changeId} ${status ?? 'unknown'}, ${Math.round(elapsed / 1000)} s elapsed`,
    );
    await sleep(phz.pollIntervalMs, ctx.signal);
  }
}

async function report(ctx: Ctx): Promise<void> {
  const change = ctx.input;
  const { insyncAfterMs, negativeTtlWarning: warning } = ctx.state;
  const current = await currentRecordSet(ctx.services.aws.route53, change, ctx.signal);
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
