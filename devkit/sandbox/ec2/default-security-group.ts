import { randomId, type StateStore } from '../state-store';
import { allTrafficOut } from './security-group-rules';

/**
 * The VPC's `default` group (where a DB instance lands when no group is named), created on first
 * use as AWS creates it with the VPC: all traffic in from its own members only, all traffic out.
 */
export function defaultSecurityGroupId(store: StateStore): string {
  const ec2 = store.state.ec2;
  const existing = Object.values(ec2.securityGroups).find(
    (group) => group.groupName === 'default' && group.vpcId === ec2.vpcId,
  );
  if (existing) return existing.groupId;
  const groupId = `sg-${randomId()}`;
  ec2.securityGroups[groupId] = {
    groupId,
    groupName: 'default',
    description: 'default VPC security group',
    vpcId: ec2.vpcId,
    tags: [],
  };
  const fromMembers = `sgr-${randomId()}`;
  ec2.rules[fromMembers] = {
    ruleId: fromMembers,
    groupId,
    isEgress: false,
    ipProtocol: '-1',
    fromPort: -1,
    toPort: -1,
    referencedGroupId: groupId,
    tags: [],
  };
  const out = allTrafficOut(groupId);
  ec2.rules[out.ruleId] = out;
  store.save();
  return groupId;
}
