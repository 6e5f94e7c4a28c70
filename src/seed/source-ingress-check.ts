import { lookup } from 'node:dns/promises';
import { BlockList, isIPv6 } from 'node:net';
import type { EC2Client, SecurityGroupRule } from '@aws-sdk/client-ec2';
import type { DBInstance } from '@aws-sdk/client-rds';
import { listSecurityGroupRules } from '../aws/ingress-rule';
import { endpointOf } from '../aws/rds-instance';

export interface SourceIngressRequest {
  /** The source instance's VPC security groups. */
  groupIds: string[];
  /** The source's port (its endpoint's). */
  port: number;
  /** The external replica's host, as configured. */
  replicaHost: string;
}

/**
 * What the source's security groups say about the external replica's connection to it. `admitted`
 * names the first inbound rule that lets one of the replica's addresses in on the port; otherwise
 * `addresses` are what the replica's host resolves to, and `fromGroups` counts the rules on the
 * port that admit other security groups only (which cannot admit a server outside AWS).
 */
export type SourceIngress =
  | { admitted: true; address: string; ruleId: string; groupId: string; cidr: string }
  | { admitted: false; addresses: string[]; fromGroups: number };

/**
 * The runbook's "the master's security group must admit the replica", checked before anything
 * changes: without it the replica's IO thread can never connect, which shows only at the end, after
 * the copy. Judged by the addresses the bot resolves the replica's host to; a replica reaching AWS
 * through NAT or a VPN arrives from another address, so the caller treats a miss as a warning.
 */
export async function checkSourceIngress(
  ec2: EC2Client,
  request: SourceIngressRequest,
  signal?: AbortSignal,
): Promise<SourceIngress> {
  const addresses = (await lookup(request.replicaHost, { all: true })).map((a) => a.address);
  const rules =
    request.groupIds.length === 0
      ? []
      : await listSecurityGroupRules(ec2, [{ Name: 'group-id', Values: request.groupIds }], signal);
  let fromGroups = 0;
  for (const rule of rules.filter((r) => !r.IsEgress && coversPort(r, request.port))) {
    const cidr = rule.CidrIpv4 ?? rule.CidrIpv6;
    if (cidr === undefined) {
      if (rule.ReferencedGroupInfo) fromGroups += 1;
      continue;
    }
    const address = addresses.find((candidate) => cidrContains(cidr, candidate));
    if (address !== undefined)
      return {
        admitted: true,
        address,
        ruleId: rule.SecurityGroupRuleId ?? '?',
        groupId: rule.GroupId ?? '?',
        cidr,
      };
  }
  return { admitted: false, addresses, fromGroups };
}

/**
 * The line /seed-slave's plan and status show on whether the source's security groups let the
 * replica in: the rule that does, or a warning with the command that adds one. A check that fails
 * (DNS, EC2 permissions) is a warning too; an abort still aborts.
 */
export async function describeSourceIngress(
  ec2: EC2Client,
  instance: DBInstance,
  names: { source: string; replica: string; replicaHost: string },
  signal?: AbortSignal,
): Promise<string> {
  const { source, replica, replicaHost } = names;
  const groupIds = (instance.VpcSecurityGroups ?? []).flatMap((g) =>
    g.VpcSecurityGroupId ? [g.VpcSecurityGroupId] : [],
  );
  const port = endpointOf(instance).port;
  try {
    const found = await checkSourceIngress(ec2, { groupIds, port, replicaHost }, signal);
    if (found.admitted)
      return `${source}'s security group ${found.groupId} admits ${replica} (${found.address}) on tcp/${port}: rule ${found.ruleId} (${found.cidr})`;
    const address = found.addresses[0] ?? replicaHost;
    const onlyGroups =
      found.fromGroups > 0 ? ` (${found.fromGroups} on that port admit security groups only)` : '';
    return (
      `:warning: no inbound rule of ${groupIds.join(', ') || 'its security groups'} admits ${replica} (${found.addresses.join(', ')}) on tcp/${port}${onlyGroups}: its replication could not connect to ${source}, and the job would fail only after the copy. ` +
      `Add one (\`aws ec2 authorize-security-group-ingress --group-id ${groupIds[0] ?? '<sg>'} --protocol tcp --port ${port} --cidr ${address}/${isIPv6(address) ? 128 : 32}\`), unless ${replica} reaches AWS from another address (NAT, VPN)`
    );
  } catch (error) {
    if (signal?.aborted) throw error;
    return `:warning: could not check whether ${source}'s security groups admit ${replica}: ${(error as Error).message}`;
  }
}

/** tcp (or every protocol: `-1`, whose ports are -1) over a range that holds `port`. */
function coversPort(rule: SecurityGroupRule, port: number): boolean {
  if (rule.IpProtocol === '-1') return true;
  if (rule.IpProtocol !== 'tcp' && rule.IpProtocol !== '6') return false;
  return (rule.FromPort ?? -1) <= port && port <= (rule.ToPort ?? -1);
}

/** Whether `cidr` (`10.0.0.0/8`, `2001:db8::/32`) holds `address`; false across IP versions. */
export function cidrContains(cidr: string, address: string): boolean {
  const [network, bits] = cidr.split('/');
  const type = isIPv6(network ?? '') ? 'ipv6' : 'ipv4';
  if ((type === 'ipv6') !== isIPv6(address)) return false;
  const list = new BlockList();
  try {
    list.addSubnet(network!, Number(bits ?? (type === 'ipv6' ? 128 : 32)), type);
  } catch {
    return false;
  }
  return list.check(address, type);
}
