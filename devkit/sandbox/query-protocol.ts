import { missingParameter } from './aws-error';

/**
 * The AWS Query protocol's request side (RDS, EC2): a form-encoded body whose dotted keys encode
 * nesting (`Tags.Tag.1.Key=env`, EC2: `IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0/8`). The body
 * is parsed into a tree; the accessors below read scalars and lists from it without caring whether
 * a list is written `Name.N`, `Name.member.N` or `Name.<MemberName>.N`.
 */
export type QueryValue = string | QueryTree;
export interface QueryTree {
  [key: string]: QueryValue;
}

export function parseQueryBody(body: string): QueryTree {
  const root: QueryTree = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.split('.');
    let node = root;
    path.slice(0, -1).forEach((segment) => {
      const child = node[segment];
      if (typeof child === 'object') node = child;
      else node = node[segment] = {};
    });
    node[path[path.length - 1]!] = value;
  }
  return root;
}

export function optionalString(tree: QueryTree, key: string): string | undefined {
  const value = tree[key];
  return typeof value === 'string' ? value : undefined;
}

export function requiredString(tree: QueryTree, key: string): string {
  const value = optionalString(tree, key);
  if (value === undefined || value === '') throw missingParameter(key);
  return value;
}

export function optionalNumber(tree: QueryTree, key: string): number | undefined {
  const value = optionalString(tree, key);
  return value === undefined ? undefined : Number(value);
}

export function optionalBoolean(tree: QueryTree, key: string): boolean | undefined {
  const value = optionalString(tree, key);
  return value === undefined ? undefined : value === 'true';
}

const isIndex = (key: string) => /^\d+$/.test(key);

/** The items of a list parameter, in index order. */
export function listOf(tree: QueryTree, key: string): QueryValue[] {
  let node = tree[key];
  if (node === undefined || typeof node === 'string') return [];
  const keys = Object.keys(node);
  if (keys.length === 1 && !isIndex(keys[0]!)) node = node[keys[0]!];
  if (node === undefined || typeof node === 'string') return [];
  const items = node;
  return Object.keys(items)
    .filter(isIndex)
    .sort((a, b) => Number(a) - Number(b))
    .map((index) => items[index]!);
}

export function stringList(tree: QueryTree, key: string): string[] {
  return listOf(tree, key).filter((item): item is string => typeof item === 'string');
}

export function treeList(tree: QueryTree, key: string): QueryTree[] {
  return listOf(tree, key).filter((item): item is QueryTree => typeof item === 'object');
}

// A type alias (not an interface) so tags can be rendered as XML objects directly.
export type Tag = { Key: string; Value: string };

/** Tags as `{Key, Value}` from a list of `Key`/`Value` pairs (RDS and EC2 spell them alike). */
export function tagList(tree: QueryTree, key: string): Tag[] {
  return treeList(tree, key).map((tag) => ({
    Key: requiredString(tag, 'Key'),
    Value: optionalString(tag, 'Value') ?? '',
  }));
}
