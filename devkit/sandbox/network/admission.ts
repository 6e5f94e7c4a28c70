import { BlockList, isIPv4 } from 'node:net';
import type { SandboxState, SecurityGroupRuleRecord } from '../state-store';

/** A connection to a DB instance's endpoint, as its security groups judge it. */
export interface ConnectionAttempt {
  /** The instance's security groups, as they are now. */
  groupIds: readonly string[];
  /** The port the client connected to (the endpoint's). */
  port: number;
  /** The client's address. */
  client: string;
}

export type Admission =
  { admitted: true; groupId: string; ruleId: string } | { admitted: false; reason: string };

/**
 * Whether an inbound rule of one of the groups lets the client in, as EC2 judges a new TCP
 * connection: the rule's protocol is tcp (or every protocol) over a port range that holds the
 * port, and its source is a CIDR holding the client's address or a security group the client is a
 * member of (an EC2 instance's private address, a DB instance's endpoint address). Rules are read
 * as they are at the moment of the connection: a revoked rule refuses the next one.
 */
export function admit(state: SandboxState, attempt: ConnectionAttempt): Admission {
  const rules = Object.values(state.ec2.rules).filter(
    (rule) => !rule.isEgress && attempt.groupIds.includes(rule.groupId),
  );
  for (const rule of rules) {
    if (!coversPort(rule, attempt.port)) continue;
    const from =
      rule.cidrIpv4 !== undefined
        ? cidrHolds(rule.cidrIpv4, attempt.client)
        : rule.referencedGroupId !== undefined &&
          groupMembers(state, rule.referencedGroupId).includes(attempt.client);
    if (from) return { admitted: true, groupId: rule.groupId, ruleId: rule.ruleId };
  }
  const groups = attempt.groupIds.join(', ') || 'none';
  return {
    admitted: false,
    reason: `no inbound rule of ${groups} admits ${attempt.client} on tcp/${attempt.port}`,
  };
}

/** The addresses of what is in the group: running (or pending) EC2 instances, DB instances. */
export function groupMembers(state: SandboxState, groupId: string): string[] {
  const ec2 = Object.values(state.ec2.instances)
    .filter((i) => i.securityGroupIds.includes(groupId) && i.state === 'running')
    .map((i) => i.privateIpAddress);
  const rds = Object.values(state.rds.instances)
    .filter((i) => i.vpcSecurityGroupIds.includes(groupId))
    .map((i) => i.address);
  return [...ec2, ...rds];
}

function coversPort(rule: SecurityGroupRuleRecord, port: number): boolean {
  if (rule.ipProtocol === '-1') return true;
  return rule.ipProtocol === 'tcp' && rule.fromPort <= port && port <= rule.toPort;
}

/** Whether an IPv4 CIDR holds the address; false for anything else. */
export function cidrHolds(cidr: string, address: string): boolean {
  const [network, bits] = cidr.split('/');
  if (!isIPv4(network ?? '') || !isIPv4(address)) return false;
  const list = new BlockList();
  try {
    list.addSubnet(network!, Number(bits ?? 32), 'ipv4');
  } catch {
    return false;
  }
  return list.check(address, 'ipv4');
}
