import { randomId, type StateStore } from '../state-store';

/** The VPC's `default` group (where a restored DB instance lands), created on first use. */
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
  store.save();
  return groupId;
}
