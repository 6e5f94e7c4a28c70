import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APPROVE_ACTION_ID } from '../../src/approvals/approval-messages';
import { sandboxCaFile } from '../../devkit/sandbox/sandbox';
import { SEED } from '../../devkit/sandbox/seed';
import { isoSeconds } from '../../src/util/time';
import { ALICE, E2eStack, OPS_CHANNEL, WORKER_CIDR, waitFor } from '../helpers/e2e-stack';

/**
 * The rule-order bypass, through the front door (signed slash commands and clicks into
 * the real Bolt receiver, /restore-table planned against the seeded sandbox): rule A puts
 * /restore-table on billing in #ops under platform's approval, rule B grants the same group
 * everything. Under first-match semantics a direct message skipped A and B ran it unapproved.
 */

const PLAT = { id: 'U0PLAT', name: 'plat' };
const DM = { id: 'D0ALICEDM', name: 'directmessage' };
const ACCESS = {
  admins: 'platform',
  groups: {
    dba: { usergroups: ['S0DBA'] },
    platform: { users: [PLAT.id] },
  },
  rules: [
    {
      command: 'restore-table',
      targets: ['billing'],
      groups: ['dba'],
      channels: ['#ops'],
      approval: { group: 'platform', distinct: true },
    },
    { command: '*', targets: ['*'], groups: ['dba'] },
    { command: 'ops *', groups: ['dba', 'platform'] },
  ],
};

describe('access rules: the strictest requirement, whatever the order (end to end)', () => {
  let stack: E2eStack;
  const text = (res: { body: unknown }) => (res.body as { text: string }).text;
  const restore = (channel: { id: string; name: string }) =>
    stack.slash(`billing billing.customers --at ${isoSeconds(new Date(Date.now() - 2000))}`, {
      command: '/restore-table',
      channel,
    });

  beforeAll(async () => {
    const sandboxDir = mkdtempSync(join(tmpdir(), 'opsdeck-sbx-'));
    stack = new E2eStack(
      {
        access: ACCESS,
        databases: {
          // The sandbox's instances accept only TLS: checked against its CA.
          billing: {
            instance: 'production',
            user: 'admin',
            passwordEnv: 'E2E_DB_PASSWORD',
            tls: { mode: 'verify-identity', caFile: sandboxCaFile(sandboxDir) },
          },
        },
        restoreTable: { workerCidr: WORKER_CIDR },
      },
      {
        usergroups: { S0DBA: [ALICE.id] },
        sandbox: { seed: true, config: { dataDir: sandboxDir, restorableLagMs: 0 } },
      },
    );
    stack.env.E2E_DB_PASSWORD = SEED.masterPassword;
    await stack.start();
    await stack.startWorker(); // its notify worker posts the approval message
    await new Promise((resolve) => setTimeout(resolve, 3000)); // a restore window to point into
  });
  afterAll(() => stack.stop());

  it('refuses /restore-table billing from a direct message, though a broader rule follows', async () => {
    const res = await restore(DM);
    expect(res.status).toBe(200);
    expect(text(res)).toBe(
      ':no_entry: Refused: `restore-table` on `billing` may be run only from #ops. Ask <@U0PLAT> (group platform).',
    );
    expect(await stack.runtime.jobs.list()).toEqual([]);
    const denied = await waitFor(
      async () =>
        (await stack.runtime.auditStore.query({ actor: ALICE.id })).find(
          (r) => r.type === 'denied',
        ),
      10_000,
      'the denial in the audit trail',
    );
    expect(denied).toMatchObject({ command: 'restore-table', channelId: DM.id });
    expect(denied.detailJson).toContain('"reason":"wrong-channel"');
  });

  it('from #ops asks platform to approve, and the Approve click checks the requester again', async () => {
    const ack = text(await restore(OPS_CHANNEL));
    expect(ack).toContain('`restore-table` needs approval by someone other than you in *platform*');
    const { approvalId, jobId, message } = await stack.pendingApproval(ack);
    // ALICE leaves the Slack user group that made her a dba; the cached members expire.
    stack.slack.setUsergroup('S0DBA', []);
    await stack.redis.del(`${stack.prefix}:usergroup:S0DBA:members`);
    expect(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, PLAT)).toBe(
      ':no_entry: Refused: the request is no longer allowed: the requester is no longer in group dba, which `restore-table` on `billing` needs.',
    );
    expect(await stack.runtime.jobs.get(jobId)).toBeUndefined();
    // Back in the group, the same approval can be decided.
    stack.slack.setUsergroup('S0DBA', [ALICE.id]);
    await stack.redis.del(`${stack.prefix}:usergroup:S0DBA:members`);
    expect(await stack.click(APPROVE_ACTION_ID, approvalId, message.ts, PLAT)).toContain(
      `Approved; \`${jobId}\` is queued`,
    );
    await stack.runtime.jobs.cancel(jobId, PLAT); // the restore itself is another test's
  });
});
