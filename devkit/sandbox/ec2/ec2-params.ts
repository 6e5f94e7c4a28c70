import { AwsError } from '../aws-error';
import { page, pageSize } from '../pagination';
import {
  optionalNumber,
  optionalString,
  requiredString,
  stringList,
  tagList,
  treeList,
  type QueryTree,
  type Tag,
} from '../query-protocol';
import type { XmlObject } from '../xml';

/** EC2 Query-API pieces shared by its resources: filters, tag specifications, tag sets. */
export interface Ec2Filter {
  name: string;
  values: string[];
}

export function filters(params: QueryTree): Ec2Filter[] {
  return treeList(params, 'Filter').map((filter) => ({
    name: requiredString(filter, 'Name'),
    values: stringList(filter, 'Value'),
  }));
}

/**
 * Whether a resource passes every filter. `fields` answers the resource-specific filter names;
 * `tag:<key>` and `tag-key` work for every resource. Values may use `*` and `?` wildcards.
 */
export function matchesFilters(
  list: Ec2Filter[],
  tags: Tag[],
  fields: Record<string, string | string[] | undefined>,
): boolean {
  return list.every(({ name, values }) => {
    let actual: (string | undefined)[];
    if (name.startsWith('tag:'))
      actual = tags.filter((tag) => tag.Key === name.slice(4)).map((tag) => tag.Value);
    else if (name === 'tag-key') actual = tags.map((tag) => tag.Key);
    else if (name in fields) actual = [fields[name]].flat();
    else throw new AwsError('InvalidParameterValue', `The filter '${name}' is invalid`);
    return actual.some(
      (value) => value !== undefined && values.some((pattern) => wildcard(pattern).test(value)),
    );
  });
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/** Tags from `TagSpecification.N` entries for one resource type. */
export function tagsFor(params: QueryTree, resourceType: string): Tag[] {
  return treeList(params, 'TagSpecification')
    .filter((spec) => optionalString(spec, 'ResourceType') === resourceType)
    .flatMap((spec) => tagList(spec, 'Tag'));
}

export const tagSetXml = (tags: Tag[]): XmlObject => ({
  item: tags.map((tag) => ({ key: tag.Key, value: tag.Value })),
});

/** One page of an EC2 Describe* listing: NextToken, and MaxResults within 5-1000 as EC2 checks it. */
export function ec2Page<T>(
  params: QueryTree,
  items: T[],
): { items: T[]; next: string | undefined } {
  const size = pageSize(optionalNumber(params, 'MaxResults'), 'MaxResults', { min: 5, max: 1000 });
  return page(items, optionalString(params, 'NextToken'), size);
}

export function mergeTags(existing: Tag[], added: Tag[]): Tag[] {
  const keys = new Set(added.map((tag) => tag.Key));
  return [...existing.filter((tag) => !keys.has(tag.Key)), ...added];
}
