import { AwsError, invalidParameterValue } from '../aws-error';
import {
  optionalNumber,
  optionalString,
  requiredString,
  stringList,
  type QueryTree,
} from '../query-protocol';
import type { QueryService } from '../server';
import { ACCOUNT_ID, randomId, type Ec2InstanceRecord, type StateStore } from '../state-store';
import type { XmlObject } from '../xml';
import { ec2Page, filters, matchesFilters, tagSetXml, tagsFor } from './ec2-params';

const STATE_CODES = { pending: 0, running: 16, stopped: 80, terminated: 48 } as const;

/**
 * EC2 instances as deploy targets. Each gets a distinct loopback address (127.0.1.N), so a
 * command run "on" the host reaches this machine; its private DNS name follows AWS's pattern.
 * An instance is `pending` for `pendingMs` after launch, then `running`.
 */
export function instanceActions(
  store: StateStore,
  region: string,
  pendingMs: number,
): QueryService['actions'] {
  const ec2 = () => store.state.ec2;

  const stateOf = (instance: Ec2InstanceRecord) =>
    instance.state === 'running' && Date.now() - Date.parse(instance.launchTime) < pendingMs
      ? 'pending'
      : instance.state;

  const instanceXml = (instance: Ec2InstanceRecord): XmlObject => {
    const state = stateOf(instance);
    return {
      instanceId: instance.instanceId,
      imageId: instance.imageId,
      instanceState: { code: STATE_CODES[state], name: state },
      privateDnsName: instance.privateDnsName,
      dnsName: '',
      instanceType: instance.instanceType,
      launchTime: new Date(instance.launchTime),
      placement: { availabilityZone: `${region}a`, tenancy: 'default' },
      subnetId: instance.subnetId,
      vpcId: instance.vpcId,
      privateIpAddress: instance.privateIpAddress,
      groupSet: {
        item: instance.securityGroupIds.map((groupId) => ({
          groupId,
          groupName: ec2().securityGroups[groupId]?.groupName,
        })),
      },
      tagSet: tagSetXml(instance.tags),
    };
  };

  const reservationXml = (instance: Ec2InstanceRecord): XmlObject => ({
    reservationId: `r-${instance.instanceId.slice(2)}`,
    ownerId: ACCOUNT_ID,
    groupSet: {},
    instancesSet: { item: [instanceXml(instance)] },
  });

  const find = (id: string) => {
    const instance = ec2().instances[id];
    if (!instance)
      throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    return instance;
  };

  return {
    RunInstances(params) {
      const count = optionalNumber(params, 'MaxCount') ?? 1;
      if (
        !Number.isInteger(count) ||
        count < 1 ||
        (optionalNumber(params, 'MinCount') ?? 1) > count
      ) {
        throw invalidParameterValue(
          'MinCount and MaxCount must be positive and MinCount <= MaxCount',
        );
      }
      const launched = Array.from({ length: count }, () => launch(params));
      store.save();
      return {
        reservationId: `r-${randomId()}`,
        ownerId: ACCOUNT_ID,
        groupSet: {},
        instancesSet: { item: launched.map(instanceXml) },
      };
    },

    DescribeInstances(params) {
      const ids = stringList(params, 'InstanceId');
      ids.forEach(find);
      const wanted = filters(params);
      const instances = Object.values(ec2().instances)
        .filter((instance) => ids.length === 0 || ids.includes(instance.instanceId))
        .filter((instance) =>
          matchesFilters(wanted, instance.tags, {
            'instance-id': instance.instanceId,
            'instance-state-name': stateOf(instance),
            'instance-type': instance.instanceType,
            'private-ip-address': instance.privateIpAddress,
            'private-dns-name': instance.privateDnsName,
            'vpc-id': instance.vpcId,
            'instance.group-id': instance.securityGroupIds,
          }),
        );
      const { items, next } = ec2Page(params, instances);
      return { reservationSet: { item: items.map(reservationXml) }, nextToken: next };
    },

    TerminateInstances(params) {
      const instances = stringList(params, 'InstanceId').map(find);
      const changes = instances.map((instance) => {
        const previous = stateOf(instance);
        instance.state = 'terminated';
        return {
          instanceId: instance.instanceId,
          previousState: { code: STATE_CODES[previous], name: previous },
          currentState: { code: STATE_CODES.terminated, name: 'terminated' },
        };
      });
      store.save();
      return { instancesSet: { item: changes } };
    },
  };

  function launch(params: QueryTree): Ec2InstanceRecord {
    const octet = Object.keys(ec2().instances).length + 1;
    const address = `127.0.${1 + Math.floor(octet / 250)}.${(octet % 250) + 1}`;
    const instance: Ec2InstanceRecord = {
      instanceId: `i-${randomId()}`,
      imageId: requiredString(params, 'ImageId'),
      instanceType: optionalString(params, 'InstanceType') ?? 'm1.small',
      state: 'running',
      privateIpAddress: address,
      privateDnsName: `ip-${address.replace(/\./g, '-')}.ec2.internal`,
      launchTime: new Date().toISOString(),
      vpcId: ec2().vpcId,
      subnetId: optionalString(params, 'SubnetId') ?? ec2().subnetId,
      securityGroupIds: stringList(params, 'SecurityGroupId'),
      tags: tagsFor(params, 'instance'),
    };
    ec2().instances[instance.instanceId] = instance;
    return instance;
  }
}
