import { AwsError, invalidParameterValue } from '../aws-error';
import {
  optionalNumber,
  optionalString,
  requiredString,
  stringList,
  treeList,
  type QueryTree,
} from '../query-protocol';
import type { QueryService } from '../server';
import {
  ACCOUNT_ID,
  randomId,
  type SecurityGroupRecord,
  type SecurityGroupRuleRecord,
  type StateStore,
} from '../state-store';
import type { XmlObject } from '../xml';
import { ec2Page, filters, matchesFilters, tagSetXml, tagsFor } from './ec2-params';
import { allTrafficOut } from './security-group-rules';

/** A rule as asked for in AuthorizeSecurityGroupIngress / RevokeSecurityGroupIngress. */
type RuleSpec = Pick<
  SecurityGroupRuleRecord,
  'ipProtocol' | 'fromPort' | 'toPort' | 'cidrIpv4' | 'referencedGroupId' | 'description'
>;

const PROTOCOL_NAMES: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', all: '-1' };

const groupNotFound = (id: string) =>
  new AwsError('InvalidGroup.NotFound', `The security group '${id}' does not exist`);

/** EC2 security groups and their ingress rules (rules are their own tagged resources, sgr-…). */
export function securityGroupActions(store: StateStore, region: string): QueryService['actions'] {
  const ec2 = () => store.state.ec2;

  const findGroup = (params: QueryTree): SecurityGroupRecord => {
    const id = optionalString(params, 'GroupId');
    const name = optionalString(params, 'GroupName');
    const group = Object.values(ec2().securityGroups).find(
      (candidate) =>
        (id !== undefined && candidate.groupId === id) ||
        (id === undefined && candidate.groupName === name),
    );
    if (!group) throw groupNotFound(id ?? name ?? '');
    return group;
  };

  const rulesOf = (groupId: string) =>
    Object.values(ec2().rules).filter((rule) => rule.groupId === groupId);

  const ruleXml = (rule: SecurityGroupRuleRecord): XmlObject => ({
    securityGroupRuleId: rule.ruleId,
    groupId: rule.groupId,
    groupOwnerId: ACCOUNT_ID,
    isEgress: rule.isEgress,
    ipProtocol: rule.ipProtocol,
    fromPort: rule.fromPort,
    toPort: rule.toPort,
    cidrIpv4: rule.cidrIpv4,
    referencedGroupInfo: rule.referencedGroupId
      ? { groupId: rule.referencedGroupId, userId: ACCOUNT_ID }
      : undefined,
    description: rule.description,
    tagSet: tagSetXml(rule.tags),
    securityGroupRuleArn: `arn:aws:ec2:${region}:${ACCOUNT_ID}:security-group-rule/${rule.ruleId}`,
  });

  /** Rules grouped back into IpPermissions, as DescribeSecurityGroups shows them. */
  const permissionsXml = (rules: SecurityGroupRuleRecord[]): XmlObject => {
    const byPorts = new Map<string, SecurityGroupRuleRecord[]>();
    for (const rule of rules) {
      const key = `${rule.ipProtocol}/${rule.fromPort}/${rule.toPort}`;
      byPorts.set(key, [...(byPorts.get(key) ?? []), rule]);
    }
    return {
      item: [...byPorts.values()].map((same) => ({
        ipProtocol: same[0]!.ipProtocol,
        fromPort: same[0]!.fromPort,
        toPort: same[0]!.toPort,
        groups: {
          item: same
            .filter((rule) => rule.referencedGroupId)
            .map((rule) => ({
              userId: ACCOUNT_ID,
              groupId: rule.referencedGroupId,
              description: rule.description,
            })),
        },
        ipRanges: {
          item: same
            .filter((rule) => rule.cidrIpv4)
            .map((rule) => ({ cidrIp: rule.cidrIpv4, description: rule.description })),
        },
      })),
    };
  };

  const groupXml = (group: SecurityGroupRecord): XmlObject => ({
    ownerId: ACCOUNT_ID,
    groupId: group.groupId,
    groupName: group.groupName,
    groupDescription: group.description,
    vpcId: group.vpcId,
    ipPermissions: permissionsXml(rulesOf(group.groupId).filter((rule) => !rule.isEgress)),
    ipPermissionsEgress: permissionsXml(rulesOf(group.groupId).filter((rule) => rule.isEgress)),
    tagSet: tagSetXml(group.tags),
    securityGroupArn: `arn:aws:ec2:${region}:${ACCOUNT_ID}:security-group/${group.groupId}`,
  });

  /** The rules a request names: IpPermissions.N, or the flat CidrIp/IpProtocol/… form. */
  const ruleSpecs = (params: QueryTree): RuleSpec[] => {
    const permissions = treeList(params, 'IpPermissions');
    const flat =
      optionalString(params, 'CidrIp') ?? optionalString(params, 'SourceSecurityGroupName');
    const specs: RuleSpec[] = permissions.flatMap((permission) => {
      const ports = portRange(permission);
      const ranges = treeList(permission, 'IpRanges').map((range) => ({
        ...ports,
        cidrIpv4: requiredString(range, 'CidrIp'),
        description: optionalString(range, 'Description'),
      }));
      const groups = treeList(permission, 'Groups').map((pair) => ({
        ...ports,
        referencedGroupId: sourceGroupId(pair),
        description: optionalString(pair, 'Description'),
      }));
      return [...ranges, ...groups];
    });
    if (flat !== undefined) {
      const ports = portRange(params);
      const cidr = optionalString(params, 'CidrIp');
      specs.push(
        cidr !== undefined
          ? { ...ports, cidrIpv4: cidr }
          : { ...ports, referencedGroupId: findGroup({ GroupName: flat }).groupId },
      );
    }
    if (specs.length === 0) {
      throw new AwsError(
        'MissingParameter',
        'No IpPermissions, CidrIp or source group given for the rule.',
      );
    }
    return specs;
  };

  const sourceGroupId = (pair: QueryTree): string => {
    const id = optionalString(pair, 'GroupId');
    if (id !== undefined) {
      if (!ec2().securityGroups[id]) throw groupNotFound(id);
      return id;
    }
    return findGroup({ GroupName: requiredString(pair, 'GroupName') }).groupId;
  };

  /** What still uses the group: an instance in it, or another group's rule naming it. */
  const dependentsOf = (groupId: string): string | undefined => {
    const db = Object.values(store.state.rds.instances).find((i) =>
      i.vpcSecurityGroupIds.includes(groupId),
    );
    if (db) return `DB instance ${db.identifier}`;
    const instance = Object.values(ec2().instances).find(
      (i) => i.state !== 'terminated' && i.securityGroupIds.includes(groupId),
    );
    if (instance) return `instance ${instance.instanceId}`;
    const rule = Object.values(ec2().rules).find(
      (r) => r.referencedGroupId === groupId && r.groupId !== groupId,
    );
    return rule ? `rule ${rule.ruleId} of ${rule.groupId}` : undefined;
  };

  const sameRule = (rule: SecurityGroupRuleRecord, spec: RuleSpec) =>
    !rule.isEgress &&
    rule.ipProtocol === spec.ipProtocol &&
    rule.fromPort === spec.fromPort &&
    rule.toPort === spec.toPort &&
    rule.cidrIpv4 === spec.cidrIpv4 &&
    rule.referencedGroupId === spec.referencedGroupId;

  return {
    CreateSecurityGroup(params) {
      const groupName = requiredString(params, 'GroupName');
      const vpcId = optionalString(params, 'VpcId') ?? ec2().vpcId;
      if (
        Object.values(ec2().securityGroups).some(
          (g) => g.groupName === groupName && g.vpcId === vpcId,
        )
      ) {
        throw new AwsError(
          'InvalidGroup.Duplicate',
          `The security group '${groupName}' already exists for VPC '${vpcId}'`,
        );
      }
      const group: SecurityGroupRecord = {
        groupId: `sg-${randomId()}`,
        groupName,
        description: requiredString(params, 'GroupDescription'),
        vpcId,
        tags: tagsFor(params, 'security-group'),
      };
      ec2().securityGroups[group.groupId] = group;
      const out = allTrafficOut(group.groupId);
      ec2().rules[out.ruleId] = out;
      store.save();
      return {
        groupId: group.groupId,
        tagSet: tagSetXml(group.tags),
        securityGroupArn: groupXml(group).securityGroupArn,
      };
    },

    DeleteSecurityGroup(params) {
      const group = findGroup(params);
      if (group.groupName === 'default') {
        throw new AwsError(
          'CannotDelete',
          `the specified group: "${group.groupId}" name: "default" cannot be deleted by a user`,
        );
      }
      const dependent = dependentsOf(group.groupId);
      if (dependent !== undefined) {
        throw new AwsError(
          'DependencyViolation',
          `resource ${group.groupId} has a dependent object (${dependent})`,
        );
      }
      for (const rule of rulesOf(group.groupId)) delete ec2().rules[rule.ruleId];
      delete ec2().securityGroups[group.groupId];
      store.save();
      return { return: true, groupId: group.groupId };
    },

    DescribeSecurityGroups(params) {
      const ids = stringList(params, 'GroupId');
      const names = stringList(params, 'GroupName');
      for (const id of ids) if (!ec2().securityGroups[id]) throw groupNotFound(id);
      const wanted = filters(params);
      const groups = Object.values(ec2().securityGroups)
        .filter((group) => ids.length === 0 || ids.includes(group.groupId))
        .filter((group) => names.length === 0 || names.includes(group.groupName))
        .filter((group) =>
          matchesFilters(wanted, group.tags, {
            'group-id': group.groupId,
            'group-name': group.groupName,
            'vpc-id': group.vpcId,
            description: group.description,
          }),
        );
      const { items, next } = ec2Page(params, groups);
      return { securityGroupInfo: { item: items.map(groupXml) }, nextToken: next };
    },

    AuthorizeSecurityGroupIngress(params) {
      const group = findGroup(params);
      const specs = ruleSpecs(params);
      const tags = tagsFor(params, 'security-group-rule');
      const existing = rulesOf(group.groupId);
      for (const spec of specs) {
        if (existing.some((rule) => sameRule(rule, spec))) {
          throw new AwsError(
            'InvalidPermission.Duplicate',
            `the specified rule "peer: ${spec.cidrIpv4 ?? spec.referencedGroupId}, ${spec.ipProtocol.toUpperCase()}, from port: ${spec.fromPort}, to port: ${spec.toPort}, ALLOW" already exists`,
          );
        }
      }
      const created = specs.map((spec) => {
        const rule: SecurityGroupRuleRecord = {
          ...spec,
          ruleId: `sgr-${randomId()}`,
          groupId: group.groupId,
          isEgress: false,
          tags,
        };
        ec2().rules[rule.ruleId] = rule;
        return rule;
      });
      store.save();
      return { return: true, securityGroupRuleSet: { item: created.map(ruleXml) } };
    },

    RevokeSecurityGroupIngress(params) {
      const group = findGroup(params);
      const ruleIds = stringList(params, 'SecurityGroupRuleId');
      const rules = rulesOf(group.groupId);
      const revoked =
        ruleIds.length > 0
          ? ruleIds.map((id) => rules.find((rule) => rule.ruleId === id && !rule.isEgress))
          : ruleSpecs(params).map((spec) => rules.find((rule) => sameRule(rule, spec)));
      if (revoked.some((rule) => rule === undefined)) {
        throw new AwsError(
          'InvalidPermission.NotFound',
          'The specified rule does not exist in this security group.',
        );
      }
      for (const rule of revoked) delete ec2().rules[rule!.ruleId];
      store.save();
      return {
        return: true,
        revokedSecurityGroupRuleSet: {
          item: revoked.map((rule) => ({
            securityGroupRuleId: rule!.ruleId,
            groupId: rule!.groupId,
            isEgress: false,
            ipProtocol: rule!.ipProtocol,
            fromPort: rule!.fromPort,
            toPort: rule!.toPort,
            cidrIpv4: rule!.cidrIpv4,
            referencedGroupId: rule!.referencedGroupId,
          })),
        },
      };
    },

    DescribeSecurityGroupRules(params) {
      const ids = stringList(params, 'SecurityGroupRuleId');
      for (const id of ids) {
        if (!ec2().rules[id]) {
          throw new AwsError(
            'InvalidSecurityGroupRuleId.NotFound',
            `The security group rule ID '${id}' does not exist`,
          );
        }
      }
      const wanted = filters(params);
      const rules = Object.values(ec2().rules)
        .filter((rule) => ids.length === 0 || ids.includes(rule.ruleId))
        .filter((rule) =>
          matchesFilters(wanted, rule.tags, {
            'group-id': rule.groupId,
            'security-group-rule-id': rule.ruleId,
          }),
        );
      const { items, next } = ec2Page(params, rules);
      return { securityGroupRuleSet: { item: items.map(ruleXml) }, nextToken: next };
    },
  };
}

function portRange(params: QueryTree): Pick<RuleSpec, 'ipProtocol' | 'fromPort' | 'toPort'> {
  const raw = requiredString(params, 'IpProtocol').toLowerCase();
  const ipProtocol = PROTOCOL_NAMES[raw] ?? raw;
  if (ipProtocol === '-1') return { ipProtocol, fromPort: -1, toPort: -1 };
  const fromPort = optionalNumber(params, 'FromPort');
  const toPort = optionalNumber(params, 'ToPort');
  if (fromPort === undefined || toPort === undefined || fromPort > toPort) {
    throw invalidParameterValue(`Invalid port range: FromPort ${fromPort}, ToPort ${toPort}`);
  }
  return { ipProtocol, fromPort, toPort };
}
