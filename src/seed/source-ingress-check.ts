import { lookup } from 'node:dns/promises';
import { BlockList, isIPv6 } from 'node:net';
import {
  DescribeSecurityGroupRulesCommand,
  type EC2Client,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';

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
  const rules = await inboundRules(ec2, request.groupIds, signal);
  let fromGroups = 0;
  for (const rule of rules.filter((r) => coversPort(r, request.port))) {
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

async function inboundRules(
  ec2: EC2Client,
  groupIds: string[],
  signal?: AbortSignal,
): Promise<SecurityGroupRule[]> {
  if (groupIds.length === 0) return [];
  const rules: SecurityGroupRule[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeSecurityGroupRulesCommand({
        Filters: [{ Name: 'group-id', Values: groupIds }],
        ...(NextToken && { NextToken }),
      }),
      { abortSignal: signal },
    );
    rules.push(...(page.SecurityGroupRules ?? []).filter((rule) => !rule.IsEgress));
    NextToken = page.NextToken;
  } while (NextToken);
  return rules;
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
