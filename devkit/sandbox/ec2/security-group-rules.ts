import { randomId, type SecurityGroupRuleRecord } from '../state-store';

/** The egress rule EC2 puts in every new security group: all traffic to anywhere. */
export function allTrafficOut(groupId: string): SecurityGroupRuleRecord {
  return {
    ruleId: `sgr-${randomId()}`,
    groupId,
    isEgress: true,
    ipProtocol: '-1',
    fromPort: -1,
    toPort: -1,
    cidrIpv4: '0.0.0.0/0',
    tags: [],
  };
}
