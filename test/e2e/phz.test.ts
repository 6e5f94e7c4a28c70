import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
} from '@aws-sdk/client-route-53';
import { APPROVE_ACTION_ID } from '../../src/approvals/approval-messages';
import { STATE_FILE } from '../../devkit/sandbox/state-store';
import { CONFIRM_ACTION_ID } from '../../src/command/confirm-button';
import { blockActionBody } from '../../devkit/slack/slack-payloads';
import { uniqueName } from '../helpers/services';
import { ALICE, BOB, E2eStack, jobIdIn, OPS_CHANNEL, waitFor } from '../helpers/e2e-stack';
import { undocumentedActions } from '../helpers/iam';
import { answerText } from '../helpers/slack-text';

/**
 * `/phz` end to end: signed slash commands and clicks into the real Bolt receiver, the plan
 * read from the seeded sandbox's Route53 through the unmodified SDK, real worker processes
 * applying the change and waiting for INSYNC; asserted on the zone's records and on what was
 * posted.
 */

const ZONE = 'prod.example.internal.';
const SVC = 'svc.example.internal.';

const ACCESS = {
  admins: 'operators',
  groups: { operators: { users: [ALICE.id, BOB.id] } },
  rules: [
    // Changes in the svc zone wait for someone else's approval; the prod zone's do not.
    {
      command: 'phz add',
      targets: ['svc.example.internal'],
      groups: ['operators'],
      approval: { group: 'operators', distinct: true },
    },
    { command: 'phz *', targets: ['*'], groups: ['operators'] },
    { command: 'ops *', groups: ['operators'] },
  ],
};

describe('/phz end to end', () => {
  let stack: E2eStack;
  const phz = (line: string, user = ALICE) => stack.slash(line, { command: '/phz', user });

  async function records(zoneId: string, name: string) {
    const { ResourceRecordSets } = await stack.sandbox!.clients.route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: name }),
    );
    return (ResourceRecordSets ?? []).filter((set) => set.Name === name);
  }

  async function zoneId(name: string, isPrivate = true): Promise<string> {
    const { HostedZones } = await stack.sandbox!.clients.route53.send(
      new ListHostedZonesByNameCommand({ DNSName: name }),
    );
    const zone = HostedZones!.find((z) => z.Name === name && z.Config!.PrivateZone === isPrivate);
    return zone!.Id!.replace('/hostedzone/', '');
  }

  /** How many change batches this job submitted, from the sandbox's own state. */
  function changesOf(jobId: string): number {
    const state = JSON.parse(readFileSync(join(stack.sandbox!.dataDir, STATE_FILE), 'utf8')) as {
      route53: { changes: Record<string, { comment?: string }> };
    };
    return Object.values(state.route53.changes).filter((c) => c.comment === `opsdeck ${jobId}`)
      .length;
  }

  async function queued(line: string, user = ALICE): Promise<string> {
    const ack = answerText(await phz(line, user));
    expect(ack).toContain(':inbox_tray: Queued');
    return jobIdIn(ack);
  }

  let prodId: string;
  let svcId: string;
  let vpcText: string;

  beforeAll(async () => {
    stack = await new E2eStack(
      {
        access: ACCESS,
        phz: {
          defaultZone: 'prod.example.internal',
          channelZones: { '#svc-team': 'svc.example.internal' },
          zones: ['public.example.internal', 'example.internal'],
          pollIntervalMs: 200,
        },
      },
      { sandbox: { seed: true, config: { route53SyncDelayMs: 2500 } } },
    ).start();
    const r53 = stack.sandbox!.clients.route53;
    prodId = await zoneId(ZONE);
    const { VPCs } = await r53.send(new GetHostedZoneCommand({ Id: prodId }));
    const vpc = { VPCId: VPCs![0]!.VPCId!, VPCRegion: VPCs![0]!.VPCRegion! };
    vpcText = `${vpc.VPCId} (${vpc.VPCRegion})`;
    const svc = await r53.send(
      new CreateHostedZoneCommand({ Name: SVC, CallerReference: 'svc', VPC: vpc }),
    );
    svcId = svc.HostedZone!.Id!.replace('/hostedzone/', '');
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: svcId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: `api.${SVC}`,
                Type: 'A',
                TTL: 60,
                ResourceRecords: [{ Value: '10.0.5.1' }],
              },
            },
          ],
        },
      }),
    );
    // A public zone of its own, and a public twin of the private prod zone.
    for (const name of ['public.example.internal.', ZONE]) {
      await r53.send(new CreateHostedZoneCommand({ Name: name, CallerReference: `pub-${name}` }));
    }
    await stack.startWorker();
  });
  afterAll(() => stack.stop());

  it('lists the zone (the private one of two with its name) with the negative-caching warning and its exact fix', async () => {
    const answer = answerText(await phz('list'));
    expect(answer).toContain(`*Zone ${ZONE}* (${prodId}, private`);
    expect(answer).toMatch(/• `db-billing` A 60 → `[^`]+`/);
    expect(answer).not.toContain('` SOA ');
    expect(answer).toContain(
      'caches "does not exist" for 900 s (min of SOA TTL 900 and its last field 86400)',
    );
    expect(answer).toContain(`aws route53 change-resource-record-sets --hosted-zone-id ${prodId}`);
    expect(answer).toContain('awsdns-hostmaster.amazon.com. 1 7200 900 1209600 60');
    expect(answerText(await phz('list billing'))).toContain('db-billing');
    expect(answerText(await phz('list nothing-like-this'))).toContain('No record matches.');
  });

  it('adds a CNAME: applied, INSYNC waited for with elapsed seconds, reported with the propagation time; then an identical add is nothing to do', async () => {
    const jobId = await queued('add cache-myapp myapp.abc123.cfg.use1.cache.amazonaws.com');
    const { lines } = await stack.finishedThread(jobId, 'succeeded');
    const name = `cache-myapp.${ZONE}`;
    expect(lines).toContain(`zone \`${ZONE}\` (${prodId}) is private, VPCs: ${vpcText}`);
    expect(
      lines.some((l) => l.startsWith('First use of this zone. :warning: *Negative caching*')),
    ).toBe(true);
    expect(lines.some((l) => /^submitted change C[A-Z0-9]+: add `cache-myapp/.test(l))).toBe(true);
    expect(lines.some((l) => /change C[A-Z0-9]+ PENDING, \d+ s elapsed/.test(l))).toBe(true);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(
            `^:white_check_mark: \`${name}\` is CNAME 60 → \`myapp\\.abc123\\.cfg\\.use1\\.cache\\.amazonaws\\.com\\.\` \\(INSYNC after \\ds\\)$`,
          ),
        ),
      ]),
    );
    // add's report repeats the warning after the result.
    const reported = lines.findIndex((l) => l.startsWith(':white_check_mark: `cache-myapp'));
    expect(lines[reported + 1]).toContain(':warning: *Negative caching*');
    expect(await records(prodId, name)).toEqual([
      expect.objectContaining({
        Type: 'CNAME',
        TTL: 60,
        ResourceRecords: [{ Value: 'myapp.abc123.cfg.use1.cache.amazonaws.com.' }],
      }),
    ]);
    expect(changesOf(jobId)).toBe(1);

    // The same again, spelled differently: nothing to do, nothing queued.
    const again = answerText(
      await phz(`add Cache-MyApp.${ZONE} MYAPP.abc123.cfg.use1.cache.amazonaws.com.`),
    );
    expect(again).toBe(
      `:information_source: Nothing to do: \`${name}\` already is CNAME 60 → \`myapp.abc123.cfg.use1.cache.amazonaws.com.\`.`,
    );
    // A different value without --replace: refused, old and new shown.
    const different = answerText(await phz('add cache-myapp other.cache.amazonaws.com'));
    expect(different).toContain(
      `:warning: \`${name}\` already has a different CNAME record. Nothing changed.`,
    );
    expect(different).toContain('• now: CNAME 60 → `myapp.abc123.cfg.use1.cache.amazonaws.com.`');
    expect(different).toContain('• you asked for: CNAME 60 → `other.cache.amazonaws.com.`');
    expect(different).toContain('--replace');

    // The audit trail has the planned values with the request.
    const rows = await stack.runtime.auditStore.jobEvents(jobId);
    const requested = rows.find((r) => r.type === 'requested')!;
    expect(JSON.parse(requested.detailJson!)).toMatchObject({
      plan: {
        action: 'create',
        name,
        type: 'CNAME',
        new: { ttl: 60, values: [`myapp.abc123.cfg.use1.cache.amazonaws.com.`] },
      },
    });
  });

  it('adds a TXT record split at 255 bytes and an SRV record', async () => {
    const long = 'v=1; ' + 'k'.repeat(300);
    const txt = await queued(`add _cfg.myapp --type TXT "${long}"`);
    const srv = await queued(
      'add _mysql._tcp.billing --type srv 10 5 3306 db-billing.prod.example.internal',
    );
    await stack.finishedThread(txt, 'succeeded');
    await stack.finishedThread(srv, 'succeeded');
    const [txtSet] = await records(prodId, `_cfg.myapp.${ZONE}`);
    expect(txtSet!.ResourceRecords![0]!.Value).toBe(`"${long.slice(0, 255)}" "${long.slice(255)}"`);
    const [srvSet] = await records(prodId, `_mysql._tcp.billing.${ZONE}`);
    expect(srvSet).toMatchObject({
      Type: 'SRV',
      ResourceRecords: [{ Value: '10 5 3306 db-billing.prod.example.internal.' }],
    });
  });

  it.each([
    ['add bad_label 10.0.0.1', '<name>: label "bad_label" of the name is not valid'],
    [`add ${'a'.repeat(64)} 10.0.0.1`, 'is 64 characters long; a label has at most 63'],
    [`add ${Array(70).fill('abc').join('.')} 10.0.0.1`, 'a DNS name has at most 253'],
    ['add cache.other.internal. 10.0.0.1', `cache.other.internal. is not inside the zone ${ZONE}`],
    ['add x 10.0.0.256', '<value>: the fourth number of "10.0.0.256" ("256") is not 0-255'],
    ['add x 10.01.0.1', '("01") has a leading zero'],
    ['add x --type AAAA 10.0.0.1', '<value>: "10.0.0.1" is not an IPv6 address'],
    ['add x db-billing', '<value>: the CNAME target "db-billing" is a single label'],
    [
      'add x --type CNAME "not a host"',
      '<value>: label "not a host" of the CNAME target is not valid',
    ],
    [
      'add x --type SRV 10 5 99999 db.example.internal',
      '<value>: the SRV port "99999" is not a whole number 0-65535',
    ],
    [
      'add x --type SRV 10 5 db.example.internal',
      'an SRV value is four fields, "priority weight port target"',
    ],
    [`add x --type TXT ${'y'.repeat(4000)}`, 'Route53 takes at most 4000'],
    ['add x 10.0.0.1 --type MX', '--type: must be one of CNAME, A, AAAA, TXT, SRV'],
    ['add x 10.0.0.1 --ttl -5', '--ttl: must be a whole number of seconds from 0 to 86400'],
    ['add x 10.0.0.1 --ttl soon', '--ttl: must be a whole number of seconds from 0 to 86400'],
    ['add x', '<value>: is missing'],
    ['add x 10.0.0.1 --zone other.internal', '--zone: other.internal is not a zone /phz may use'],
    [
      'add x 10.0.0.1 --zone public.example.internal',
      '--zone: public.example.internal. is a public zone; /phz changes private zones only',
    ],
    [
      'add x 10.0.0.1 --zone example.internal',
      '--zone: there is no hosted zone named example.internal.',
    ],
    ['remove x --type NS', '--type: must be one of'],
    ['list --zone "bad zone"', '--zone: must be a zone name'],
  ])(
    'refuses `/phz %s` naming the bad part, with the usage, queueing nothing',
    async (line, message) => {
      const answer = answerText(await phz(line));
      expect(answer).toContain(message);
      expect(answer).toContain('Usage:');
      expect(await stack.runtime.opsQueue.getJobCounts('waiting', 'active')).toMatchObject({
        waiting: 0,
        active: 0,
      });
    },
  );

  it('explains CNAME conflicts both ways, changing nothing', async () => {
    const onA = answerText(await phz('add db-billing elsewhere.example.com'));
    expect(onA).toContain(
      `\`db-billing.${ZONE}\` already has A records, and a CNAME cannot share its name with any other record`,
    );
    expect(onA).toContain('`/phz remove db-billing --type A`');
    const onCname = answerText(await phz('add cache-myapp 10.0.0.5'));
    expect(onCname).toContain(
      `\`cache-myapp.${ZONE}\` is a CNAME (CNAME 60 → \`myapp.abc123.cfg.use1.cache.amazonaws.com.\`), and no other record can share a CNAME's name`,
    );
    const apex = answerText(await phz('add @ x.example.com'));
    expect(apex).toContain('(the zone apex always has SOA and NS)');
  });

  it('replaces with --replace after approval (the channel default zone), old and new in the plan and the audit trail', async () => {
    const svcChannel = { id: 'C0SVC', name: 'svc-team' };
    const ack = answerText(
      await stack.slash('add api 10.0.5.2 --replace', { command: '/phz', channel: svcChannel }),
    );
    expect(ack).toContain('`phz add` needs approval by someone other than you in *operators*');
    const { approvalId, jobId, message } = await stack.pendingApproval(ack);
    const plan = JSON.stringify(message.blocks);
    expect(plan).toContain(`replace \`api.${SVC}\` A 60 → \`10.0.5.1\` with A 60 → \`10.0.5.2\``);
    expect(await records(svcId, `api.${SVC}`)).toEqual([
      expect.objectContaining({ ResourceRecords: [{ Value: '10.0.5.1' }] }),
    ]);

    expect(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, BOB)).toContain(
      'Approved;',
    );
    const { lines } = await stack.finishedThread(jobId, 'succeeded');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^:white_check_mark: `api\.svc\.example\.internal\.` is A 60 → `10\.0\.5\.2` \(was A 60 → `10\.0\.5\.1`\) \(INSYNC after \d+s\)$/,
        ),
      ]),
    );
    expect(await records(svcId, `api.${SVC}`)).toEqual([
      expect.objectContaining({ ResourceRecords: [{ Value: '10.0.5.2' }] }),
    ]);
    const rows = await stack.runtime.auditStore.jobEvents(jobId);
    const asked = rows.find((r) => r.type === 'approval-requested')!;
    expect(JSON.parse(asked.argsJson!)).toMatchObject({
      action: 'replace',
      old: { values: ['10.0.5.1'] },
      new: { values: ['10.0.5.2'] },
    });
    // The audit trail is written beside the thread, not before it: wait for the last event.
    const types = await waitFor(
      async () => {
        const all = (await stack.runtime.auditStore.jobEvents(jobId)).map((r) => r.type);
        return all.includes('succeeded') ? all : null;
      },
      10_000,
      'the succeeded audit event',
    );
    expect(types).toEqual(expect.arrayContaining(['approved', 'started', 'succeeded']));
  });

  it('removes after confirmation exactly the matching record set', async () => {
    const ask = (await phz('remove _cfg.myapp')).body as { text: string; blocks?: unknown[] };
    expect(ask.text).toContain(
      `:wastebasket: This deletes exactly \`_cfg.myapp.${ZONE}\` TXT 60 →`,
    );
    const command = /type `(\/phz remove [^`]+)`/.exec(ask.text)![1]!;
    expect(command).toMatch(
      /^\/phz remove _cfg\.myapp --type TXT --zone prod\.example\.internal --confirm [0-9a-f]{10}$/,
    );
    expect(JSON.stringify(ask.blocks)).toContain(CONFIRM_ACTION_ID);
    expect(await records(prodId, `_cfg.myapp.${ZONE}`)).toHaveLength(1);

    // A stale code (the record changed since) asks again instead of removing.
    const stale = answerText(await phz('remove _cfg.myapp --type TXT --confirm 0123456789'));
    expect(stale).toContain('The record is not what it was when that confirmation was asked for');

    // The Confirm button: the command it carries, run as the clicker in the same channel.
    const responseId = uniqueName('confirm');
    await stack.post(
      blockActionBody({
        actionId: CONFIRM_ACTION_ID,
        value: command,
        user: ALICE,
        channel: OPS_CHANNEL,
        responseUrl: stack.slack.responseUrl(responseId),
        messageTs: '1700000000.000100',
      }),
    );
    const answer = await waitFor(
      () =>
        stack.slack.calls.find((c) => c.method === 'respond' && c.args.response_id === responseId),
      10_000,
      'the answer to the confirm click',
    );
    const jobId = jobIdIn(String(answer.args.text));
    const { lines } = await stack.finishedThread(jobId, 'succeeded');
    expect(
      lines.some((l) =>
        /^:white_check_mark: `_cfg\.myapp\.prod\.example\.internal\.` TXT 60 → .* removed \(INSYNC after \d+s\)$/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(await records(prodId, `_cfg.myapp.${ZONE}`)).toEqual([]);
    // Other records at nearby names stay.
    expect(await records(prodId, `cache-myapp.${ZONE}`)).toHaveLength(1);
    expect(answerText(await phz('remove _cfg.myapp'))).toContain('Nothing to remove');
  });

  it('a worker killed during the INSYNC wait: the resumed job waits on its change id and does not apply it again', async () => {
    const [first] = stack.workerProcesses;
    const jobId = await queued('add crash-test 10.0.9.9');
    // Killed in the wait itself: the change submitted, its step finished, the wait started and
    // said so (the sandbox keeps the change PENDING for 2.5 s).
    await waitFor(
      async () => {
        const checkpoint = await stack.checkpoint(jobId);
        const waiting = stack.thread(jobId).replies.some((reply) => reply.includes(' PENDING, '));
        return (
          checkpoint?.state.changeId && checkpoint.completed.includes('apply-change') && waiting
        );
      },
      20_000,
      'the INSYNC wait to start',
    );
    first!.kill('SIGKILL');
    await new Promise((resolve) => first!.once('exit', resolve));
    await stack.startWorker();
    const { lines } = await stack.finishedThread(jobId, 'succeeded');
    expect(changesOf(jobId)).toBe(1);
    // What ran, from the audit trail (one row per event). The thread says the same, but a thread
    // message the killed worker had sent and not yet marked sent is sent again (Slack has no
    // idempotency key), so Slack lines are not counted.
    const ran = await waitFor(
      async () => {
        const rows = await stack.runtime.auditStore.jobEvents(jobId);
        return rows.some((r) => r.type === 'succeeded') ? rows : null;
      },
      20_000,
      'the succeeded audit event',
    );
    const started = (step: string) =>
      ran.filter((r) => r.type === 'step-started' && r.step === step).length;
    expect(started('apply-change')).toBe(1);
    expect(started('wait-insync')).toBe(2);
    expect(ran.filter((r) => r.type === 'started')).toHaveLength(2); // run 1, and run 2 resumed
    expect(lines.some((l) => l.includes('submitted change'))).toBe(true);
    expect(lines.some((l) => l.includes('resumed after an interruption (run 2)'))).toBe(true);
    expect(
      lines.some((l) =>
        /^:white_check_mark: `crash-test\.prod\.example\.internal\.` is A 60 → `10\.0\.9\.9` \(INSYNC after \d+s\)$/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(await records(prodId, `crash-test.${ZONE}`)).toHaveLength(1);
  });

  // Last, after every run above: with exactly docs/iam/phz.json as its policy,
  // none of them would have failed for a missing permission.
  it('called no AWS action missing from docs/iam/phz.json', () => {
    const { called, missing } = undocumentedActions(stack, 'phz');
    expect(called).toEqual(
      expect.arrayContaining(['route53:ChangeResourceRecordSets', 'route53:GetChange']),
    );
    expect(missing).toEqual([]);
  });
});
