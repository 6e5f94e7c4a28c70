import { AwsError } from '../aws-error';
import { stringList, tagList } from '../query-protocol';
import type { QueryService } from '../server';
import type { StateStore } from '../state-store';
import { mergeTags } from './ec2-params';
import { instanceActions } from './instances';
import { securityGroupActions } from './security-groups';

export const EC2_VERSION = '2016-11-15';

export interface Ec2ServiceOptions {
  region: string;
  /** How long a new instance shows `pending`. */
  pendingMs: number;
}

/** The EC2 Query API: security groups and their rules, instances, and tags on all of them. */
export function createEc2Service(store: StateStore, options: Ec2ServiceOptions): QueryService {
  return {
    version: EC2_VERSION,
    namespace: `http://ec2.amazonaws.com/doc/${EC2_VERSION}/`,
    style: 'ec2',
    iamPrefix: 'ec2',
    actions: {
      ...securityGroupActions(store, options.region),
      ...instanceActions(store, options.region, options.pendingMs),
      CreateTags(params) {
        const tags = tagList(params, 'Tag');
        for (const id of stringList(params, 'ResourceId')) {
          const resource = taggable(store, id);
          resource.tags = mergeTags(resource.tags, tags);
        }
        store.save();
        return { return: true };
      },
    },
  };
}

function taggable(store: StateStore, id: string): { tags: { Key: string; Value: string }[] } {
  const { securityGroups, rules, instances } = store.state.ec2;
  const resource = securityGroups[id] ?? rules[id] ?? instances[id];
  if (!resource) throw new AwsError('InvalidID', `The ID '${id}' is not valid`);
  return resource;
}
