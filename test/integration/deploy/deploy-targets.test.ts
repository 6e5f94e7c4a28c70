import {
  DescribeInstancesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  waitUntilInstanceRunning,
  type DescribeInstancesCommandOutput,
  type EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import { DeployTargets } from '../../../src/config/deploy';
import { resolveDeployHosts, type SkippedInstance } from '../../../src/deploy/deploy-targets';
import { ErrorCode, OpsdeckError } from '../../../src/errors';
import { FAST_WAITER, startTestSandbox, type TestSandbox } from '../../helpers/sandbox';

/** How long a new sandbox instance stays `pending` (the sandbox's createDelayMs). */
const PENDING_MS = 4000;

let t: TestSandbox;
let ec2: EC2Client;
/** 12 instances tagged app=batch, in launch order (so ascending 127.0.1.N). */
let batch: Instance[];
/** app=billing env=prod role=web, Name web-1..3 (as the sandbox seed tags its deploy hosts). */
let prodWeb: Instance[];
let stagingWeb: Instance[];
let prodWorker: Instance;
let ledger: Instance;

const targets = (raw: unknown) => DeployTargets.parse(raw);
const hostsOf = (hosts: { host: string }[]) => hosts.map((h) => h.host);
const ips = (instances: Instance[]) => instances.map((i) => i.PrivateIpAddress!);

async function launch(count: number, tags: Record<string, string>): Promise<Instance[]> {
  const { Instances } = await ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-0sandbox00000000',
      InstanceType: 't3.small',
      MinCount: count,
      MaxCount: count,
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        },
      ],
    }),
  );
  return Instances!;
}

const waitRunning = (instances: Instance[]) =>
  waitUntilInstanceRunning(
    { client: ec2, ...FAST_WAITER },
    { InstanceIds: instances.map((i) => i.InstanceId!) },
  );

const terminate = (instance: Instance) =>
  ec2.send(new TerminateInstancesCommand({ InstanceIds: [instance.InstanceId!] }));

beforeAll(async () => {
  t = await startTestSandbox({ createDelayMs: PENDING_MS });
  ec2 = t.clients.ec2;
  // Launched first, so their addresses run 127.0.1.2 .. 127.0.1.13: one- and two-digit last
  // octets, where sorting as text and sorting as numbers differ.
  batch = await launch(12, { app: 'batch' });
  prodWeb = [];
  for (const n of [1, 2, 3])
    prodWeb.push(
      ...(await launch(1, { app: 'billing', env: 'prod', role: 'web', Name: `web-${n}` })),
    );
  stagingWeb = await launch(2, { app: 'billing', env: 'staging', role: 'web' });
  [prodWorker] = (await launch(1, { app: 'billing', env: 'prod', role: 'worker' })) as [Instance];
  await launch(1, { app: 'search', env: 'prod', role: 'web' });
  [ledger] = (await launch(1, { app: 'ledger', env: 'prod' })) as [Instance];
  const retired = await launch(1, { app: 'billing', env: 'prod', role: 'web', Name: 'web-old' });
  await waitRunning([...batch, ...prodWeb, ...stagingWeb, prodWorker, ledger, ...retired]);
  await terminate(retired[0]!);
});

afterAll(() => t?.dispose());

afterEach(() => jest.restoreAllMocks());

describe('resolveDeployHosts against the sandbox EC2', () => {
  it('finds the running instances with every tag (one value each), by private IP, sorted', async () => {
    const hosts = await resolveDeployHosts(
      ec2,
      targets({ ec2: { tags: { app: 'billing', env: 'prod' } } }),
    );
    // The terminated web-old has the tags too, and is left out.
    expect(hosts).toEqual([
      { host: prodWeb[0]!.PrivateIpAddress, instanceId: prodWeb[0]!.InstanceId, name: 'web-1' },
      { host: prodWeb[1]!.PrivateIpAddress, instanceId: prodWeb[1]!.InstanceId, name: 'web-2' },
      { host: prodWeb[2]!.PrivateIpAddress, instanceId: prodWeb[2]!.InstanceId, name: 'web-3' },
      { host: prodWorker.PrivateIpAddress, instanceId: prodWorker.InstanceId },
    ]);
  });

  it('takes a list of values as alternatives for one tag', async () => {
    const hosts = await resolveDeployHosts(
      ec2,
      targets({ ec2: { tags: { app: 'billing', env: ['prod', 'staging'], role: 'web' } } }),
    );
    expect(hostsOf(hosts)).toEqual(ips([...prodWeb, ...stagingWeb]));
  });

  it('sends one tag:<key> filter per tag and instance-state-name=running, nothing else', async () => {
    const send = jest.spyOn(ec2, 'send');
    await resolveDeployHosts(
      ec2,
      targets({ ec2: { tags: { app: 'billing', env: ['prod', 'staging'] } } }),
    );
    expect(send).toHaveBeenCalledTimes(1);
    const command = send.mock.calls[0]![0] as DescribeInstancesCommand;
    expect(command).toBeInstanceOf(DescribeInstancesCommand);
    expect(command.input).toEqual({
      Filters: [
        { Name: 'tag:app', Values: ['billing'] },
        { Name: 'tag:env', Values: ['prod', 'staging'] },
        { Name: 'instance-state-name', Values: ['running'] },
      ],
      MaxResults: 1000,
    });
  });

  it('reads every page (NextToken) and sorts the addresses as numbers', async () => {
    const send = jest.spyOn(ec2, 'send');
    const hosts = await resolveDeployHosts(
      ec2,
      targets({ ec2: { tags: { app: 'batch' } } }),
      undefined,
      {
        pageSize: 5,
      },
    );
    const inputs = send.mock.calls.map(([command]) => (command as DescribeInstancesCommand).input);
    expect(inputs.map((input) => input.MaxResults)).toEqual([5, 5, 5]);
    expect(inputs[0]!.NextToken).toBeUndefined();
    expect(inputs[1]!.NextToken).toEqual(expect.any(String));
    expect(inputs[2]!.NextToken).toEqual(expect.any(String));
    expect(inputs[2]!.NextToken).not.toBe(inputs[1]!.NextToken);

    expect(hostsOf(hosts)).toEqual(ips(batch));
    expect(hosts.map((h) => h.instanceId)).toEqual(batch.map((i) => i.InstanceId));
    // 127.0.1.2 .. 127.0.1.13: as text, .10 would come before .2.
    expect([...ips(batch)].sort()).not.toEqual(ips(batch));
  });

  it('uses the private DNS name or the instance id when configured', async () => {
    const dns = await resolveDeployHosts(
      ec2,
      targets({ ec2: { tags: { app: 'billing', role: 'web' }, address: 'privateDnsName' } }),
    );
    expect(hostsOf(dns)).toEqual([...prodWeb, ...stagingWeb].map((i) => i.PrivateDnsName));
    expect(hostsOf(dns)[0]).toMatch(/^ip-127-0-1-\d+\.ec2\.internal$/);
    expect(dns[0]).toMatchObject({ instanceId: prodWeb[0]!.InstanceId, name: 'web-1' });

    const byId = await resolveDeployHosts(
      ec2,
      targets({ ec2: { tags: { app: 'billing', role: 'web' }, address: 'instanceId' } }),
    );
    const ids = [...prodWeb, ...stagingWeb].map((i) => i.InstanceId!);
    expect([...hostsOf(byId)].sort()).toEqual([...ids].sort());
    for (const host of byId) expect(host.host).toBe(host.instanceId);
    // Same fleet, same order.
    const again = await resolveDeployHosts(
      ec2,
      targets({ ec2: { tags: { app: 'billing', role: 'web' }, address: 'instanceId' } }),
    );
    expect(hostsOf(again)).toEqual(hostsOf(byId));
  });

  it('leaves out a pending instance until it runs, and a terminated one', async () => {
    const ledgerTargets = targets({ ec2: { tags: { app: 'ledger' } } });
    const [fresh] = (await launch(1, { app: 'ledger', env: 'prod' })) as [Instance];
    const launchedAt = Date.now();
    const whilePending = await resolveDeployHosts(ec2, ledgerTargets);
    // Only meaningful while the sandbox still calls the new instance pending.
    expect(Date.now() - launchedAt).toBeLessThan(PENDING_MS);
    const { Reservations } = await ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [fresh.InstanceId!] }),
    );
    expect(Reservations![0]!.Instances![0]!.State!.Name).toBe('pending');
    expect(hostsOf(whilePending)).toEqual([ledger.PrivateIpAddress]);

    await waitRunning([fresh]);
    expect(hostsOf(await resolveDeployHosts(ec2, ledgerTargets))).toEqual(ips([ledger, fresh]));

    await terminate(ledger);
    expect(hostsOf(await resolveDeployHosts(ec2, ledgerTargets))).toEqual([fresh.PrivateIpAddress]);
  });

  it('fails with DeployNoHosts naming the filters when nothing runs with the tags', async () => {
    const error = await resolveDeployHosts(
      ec2,
      targets({ ec2: { tags: { app: 'billing', env: ['nowhere', 'qa'] } } }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpsdeckError);
    expect(error).toMatchObject({
      code: ErrorCode.DeployNoHosts,
      message:
        'no running EC2 instance matches: tag:app = "billing", tag:env = "nowhere" or "qa", instance-state-name = "running"',
    });
  });

  it('counts only running instances: pending-only tags also find no host', async () => {
    await launch(1, { app: 'reports' });
    await expect(
      resolveDeployHosts(ec2, targets({ ec2: { tags: { app: 'reports' } } })),
    ).rejects.toMatchObject({
      code: ErrorCode.DeployNoHosts,
      message: expect.stringContaining('tag:app = "reports"'),
    });
  });

  it('lets AWS errors through as they are (a page size EC2 refuses, an aborted signal)', async () => {
    const billing = targets({ ec2: { tags: { app: 'billing' } } });
    const refused = await resolveDeployHosts(ec2, billing, undefined, { pageSize: 3 }).catch(
      (e: unknown) => e,
    );
    expect(refused).not.toBeInstanceOf(OpsdeckError);
    expect(refused).toMatchObject({ name: 'InvalidParameterValue' });

    await expect(resolveDeployHosts(ec2, billing, AbortSignal.abort())).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('returns a static host list as given, in order, without asking EC2', async () => {
    const send = jest.spyOn(ec2, 'send');
    const hosts = await resolveDeployHosts(
      ec2,
      targets({ hosts: ['web2.internal', '10.0.8.12', 'web1.internal'] }),
    );
    expect(hosts).toEqual([
      { host: 'web2.internal' },
      { host: '10.0.8.12' },
      { host: 'web1.internal' },
    ]);
    expect(send).not.toHaveBeenCalled();
  });
});

/**
 * Instances without the configured address, and the same instance on two pages, do not occur in
 * the sandbox (every instance there has an IP, a DNS name, and pages are stable), so these cases
 * use a client that answers DescribeInstances with fixed pages.
 */
describe('resolveDeployHosts with answers the sandbox does not give', () => {
  const instance = (id: string, ip?: string, dns = '', name?: string): Instance => ({
    InstanceId: id,
    ...(ip !== undefined && { PrivateIpAddress: ip }),
    PrivateDnsName: dns,
    State: { Name: 'running', Code: 16 },
    Tags: [{ Key: 'app', Value: 'shop' }, ...(name ? [{ Key: 'Name', Value: name }] : [])],
  });
  const fakeEc2 = (pages: Instance[][]) => {
    const inputs: DescribeInstancesCommand['input'][] = [];
    const client = {
      send: async (command: DescribeInstancesCommand): Promise<DescribeInstancesCommandOutput> => {
        inputs.push(command.input);
        const index = command.input.NextToken === undefined ? 0 : Number(command.input.NextToken);
        return {
          $metadata: {},
          Reservations: [{ Instances: pages[index]! }],
          ...(index + 1 < pages.length && { NextToken: String(index + 1) }),
        };
      },
    };
    return { client: client as unknown as EC2Client, inputs };
  };

  it('skips and reports instances without the address; lists an address once', async () => {
    const { client, inputs } = fakeEc2([
      [
        instance('i-0000000000000000b', '10.0.0.10', 'ip-10-0-0-10.ec2.internal', 'shop-b'),
        instance('i-0000000000000000a', undefined, '', 'shop-a'),
      ],
      [
        // The same instance again (the listing shifted between pages): kept once, silently.
        instance('i-0000000000000000b', '10.0.0.10', 'ip-10-0-0-10.ec2.internal', 'shop-b'),
        instance('i-0000000000000000c', '10.0.0.9'),
        // Another instance with an address already listed (same IP in another VPC).
        instance('i-0000000000000000d', '10.0.0.9'),
      ],
    ]);
    const skipped: SkippedInstance[][] = [];
    const hosts = await resolveDeployHosts(
      client,
      targets({ ec2: { tags: { app: 'shop' } } }),
      undefined,
      { onSkipped: (list) => skipped.push(list) },
    );
    expect(inputs).toHaveLength(2);
    expect(inputs[1]!.NextToken).toBe('1');
    expect(hosts).toEqual([
      { host: '10.0.0.9', instanceId: 'i-0000000000000000c' },
      { host: '10.0.0.10', instanceId: 'i-0000000000000000b', name: 'shop-b' },
    ]);
    expect(skipped).toEqual([
      [
        { instanceId: 'i-0000000000000000a', name: 'shop-a', reason: 'no privateIp' },
        {
          instanceId: 'i-0000000000000000d',
          reason: 'same privateIp 10.0.0.9 as i-0000000000000000c',
        },
      ],
    ]);
  });

  it('fails with DeployNoHosts when instances matched but none has the address', async () => {
    const { client } = fakeEc2([[instance('i-0000000000000000a', '10.0.0.1', '')]]);
    const skipped: SkippedInstance[][] = [];
    await expect(
      resolveDeployHosts(
        client,
        targets({ ec2: { tags: { app: 'shop' }, address: 'privateDnsName' } }),
        undefined,
        { onSkipped: (list) => skipped.push(list) },
      ),
    ).rejects.toMatchObject({
      code: ErrorCode.DeployNoHosts,
      message:
        '1 running EC2 instance(s) matched but none has a privateDnsName (i-0000000000000000a): tag:app = "shop", instance-state-name = "running"',
    });
    expect(skipped).toEqual([[{ instanceId: 'i-0000000000000000a', reason: 'no privateDnsName' }]]);
  });
});
