import { TAG } from './resource-tags';

/**
 * The least-privilege IAM policy of each command that calls AWS: every action its planner (in
 * the bot) and its runbook (in a worker) call, nothing else. docs/iam/<command>.json is this, as
 * `opsdeck aws policy <command>` prints it; test/unit/aws/iam-policies.test.ts keeps the files
 * equal to it, and each command's end-to-end test fails when the runbook calls an action the
 * policy lacks (the sandbox records every call). `opsdeck aws check` probes these actions.
 *
 * What opsdeck deletes or revokes it created itself, tagged (resource-tags.ts): deletes are
 * allowed only on resources carrying opsdeck's job tag and the command's purpose, and creates
 * only with those tags in the request. Resources are written for any region and account
 * (`*`); narrow them to yours (the zones, the database instances and their security groups).
 */

export const AWS_COMMANDS = ['phz', 'restore-table', 'seed-slave', 'deploy'] as const;
export type AwsCommand = (typeof AWS_COMMANDS)[number];

type ConditionBlock = Record<string, Record<string, string | string[]>>;

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string | string[];
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

const RDS_DB = 'arn:aws:rds:*:*:db:*';
/** What a restore or a read replica is created with besides the instances themselves. */
const RDS_CREATE_EXTRAS = [
  'arn:aws:rds:*:*:subgrp:*',
  'arn:aws:rds:*:*:og:*',
  'arn:aws:rds:*:*:pg:*',
];
const SECURITY_GROUP = 'arn:aws:ec2:*:*:security-group/*';
const VPC = 'arn:aws:ec2:*:*:vpc/*';
const SECURITY_GROUP_RULE = 'arn:aws:ec2:*:*:security-group-rule/*';

const tagged = (key: string) => `aws:ResourceTag/${key}`;
const requested = (key: string) => `aws:RequestTag/${key}`;

/**
 * Statements of the two commands that run a temporary RDS instance in a security group of the
 * job's own and open the instance's port to the workers in it. The reads cover the worker's
 * leftover sweep too (instances, rules and groups tagged with a job).
 */
function temporaryInstanceStatements(
  create: 'rds:RestoreDBInstanceToPointInTime' | 'rds:CreateDBInstanceReadReplica',
  purpose: string,
): PolicyStatement[] {
  return [
    {
      Sid: 'ReadDatabasesAndRules',
      Effect: 'Allow',
      Action: [
        'rds:DescribeDBInstances',
        ...(create === 'rds:RestoreDBInstanceToPointInTime'
          ? ['rds:DescribeDBInstanceAutomatedBackups']
          : []),
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSecurityGroupRules',
      ],
      Resource: '*',
    },
    {
      // The job's own group for its instance, in the source's VPC, tagged as it is created.
      Sid: 'CreateTaggedJobSecurityGroup',
      Effect: 'Allow',
      Action: ['ec2:CreateSecurityGroup'],
      Resource: SECURITY_GROUP,
      Condition: {
        StringEquals: { [requested(TAG.purpose)]: purpose },
        Null: { [requested(TAG.jobId)]: 'false' },
      },
    },
    {
      Sid: 'CreateJobSecurityGroupInAVpc',
      Effect: 'Allow',
      Action: ['ec2:CreateSecurityGroup'],
      Resource: VPC,
    },
    {
      Sid: 'TagTheGroupAsItIsCreated',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: SECURITY_GROUP,
      Condition: {
        StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' },
        Null: { [requested(TAG.jobId)]: 'false' },
      },
    },
    {
      Sid: 'DeleteOnlyOwnJobSecurityGroups',
      Effect: 'Allow',
      Action: ['ec2:DeleteSecurityGroup'],
      Resource: SECURITY_GROUP,
      Condition: {
        StringEquals: { [tagged(TAG.purpose)]: purpose },
        Null: { [tagged(TAG.jobId)]: 'false' },
      },
    },
    {
      Sid: 'CreateTaggedTemporaryInstance',
      Effect: 'Allow',
      Action: [create],
      Resource: [RDS_DB, ...RDS_CREATE_EXTRAS],
      Condition: {
        StringEquals: { [requested(TAG.purpose)]: purpose },
        Null: { [requested(TAG.jobId)]: 'false' },
      },
    },
    {
      // Tags given at creation need AddTagsToResource too; only opsdeck's own keys.
      Sid: 'TagWithOpsdeckKeysOnly',
      Effect: 'Allow',
      Action: ['rds:AddTagsToResource'],
      Resource: RDS_DB,
      Condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': ['opsdeck:*'] } },
    },
    {
      Sid: 'DeleteOnlyOwnTemporaryInstances',
      Effect: 'Allow',
      Action: ['rds:DeleteDBInstance'],
      Resource: RDS_DB,
      Condition: {
        StringEquals: { [tagged(TAG.purpose)]: purpose },
        Null: { [tagged(TAG.jobId)]: 'false' },
      },
    },
    {
      // The rule is added to the temporary instance's first security group: the job's own, or
      // the groups restoreTable.securityGroupIds names (narrow the resource to those).
      Sid: 'OpenTaggedIngressRule',
      Effect: 'Allow',
      Action: ['ec2:AuthorizeSecurityGroupIngress'],
      Resource: [SECURITY_GROUP, SECURITY_GROUP_RULE],
    },
    {
      Sid: 'TagTheRuleAsItIsCreated',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: SECURITY_GROUP_RULE,
      Condition: {
        StringEquals: { 'ec2:CreateAction': 'AuthorizeSecurityGroupIngress' },
        Null: { [requested(TAG.jobId)]: 'false' },
      },
    },
    {
      Sid: 'RevokeInTheGroups',
      Effect: 'Allow',
      Action: ['ec2:RevokeSecurityGroupIngress'],
      Resource: SECURITY_GROUP,
    },
    {
      Sid: 'RevokeOnlyOwnRules',
      Effect: 'Allow',
      Action: ['ec2:RevokeSecurityGroupIngress'],
      Resource: SECURITY_GROUP_RULE,
      Condition: { Null: { [tagged(TAG.jobId)]: 'false' } },
    },
  ];
}

export const IAM_POLICIES: Readonly<Record<AwsCommand, PolicyDocument>> = {
  phz: {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'FindZonesByName',
        Effect: 'Allow',
        Action: ['route53:ListHostedZonesByName'],
        Resource: '*',
      },
      {
        Sid: 'ReadZones',
        Effect: 'Allow',
        Action: ['route53:GetHostedZone', 'route53:ListResourceRecordSets'],
        Resource: 'arn:aws:route53:::hostedzone/*',
      },
      {
        // /phz creates and deletes (a replace deletes the planned old values and creates the
        // new ones in one batch) the record types it knows, nothing else.
        Sid: 'ChangeRecordsOfKnownTypes',
        Effect: 'Allow',
        Action: ['route53:ChangeResourceRecordSets'],
        Resource: 'arn:aws:route53:::hostedzone/*',
        Condition: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsActions': ['CREATE', 'DELETE'],
            'route53:ChangeResourceRecordSetsRecordTypes': ['A', 'AAAA', 'CNAME', 'TXT', 'SRV'],
          },
        },
      },
      {
        Sid: 'WaitForInsync',
        Effect: 'Allow',
        Action: ['route53:GetChange'],
        Resource: 'arn:aws:route53:::change/*',
      },
    ],
  },
  'restore-table': {
    Version: '2012-10-17',
    Statement: temporaryInstanceStatements('rds:RestoreDBInstanceToPointInTime', 'restore-table'),
  },
  'seed-slave': {
    Version: '2012-10-17',
    Statement: temporaryInstanceStatements('rds:CreateDBInstanceReadReplica', 'seed-slave'),
  },
  deploy: {
    Version: '2012-10-17',
    Statement: [
      {
        // Only for environments whose targets are EC2 instances found by their tags.
        Sid: 'FindHostsByTags',
        Effect: 'Allow',
        Action: ['ec2:DescribeInstances'],
        Resource: '*',
      },
      {
        // Only for environments that deploy by a CodeBuild project: start, follow and stop
        // (a cancel) its builds.
        Sid: 'RunCodeBuildProjects',
        Effect: 'Allow',
        Action: ['codebuild:BatchGetBuilds', 'codebuild:StartBuild', 'codebuild:StopBuild'],
        Resource: 'arn:aws:codebuild:*:*:project/*',
      },
      {
        // Only for environments that deploy by a CodePipeline pipeline: start, follow (status
        // and actions per stage) and stop (a cancel) its executions.
        Sid: 'RunCodePipelines',
        Effect: 'Allow',
        Action: [
          'codepipeline:GetPipelineExecution',
          'codepipeline:ListActionExecutions',
          'codepipeline:StartPipelineExecution',
          'codepipeline:StopPipelineExecution',
        ],
        Resource: 'arn:aws:codepipeline:*:*:*',
      },
    ],
  },
};

/** Every action the command's policy allows, sorted, each once. */
export function policyActions(command: AwsCommand): string[] {
  return [...new Set(IAM_POLICIES[command].Statement.flatMap((s) => s.Action))].sort();
}

/** The policy as docs/iam/<command>.json holds it and `opsdeck aws policy` prints it. */
export function policyText(command: AwsCommand): string {
  return `${JSON.stringify(IAM_POLICIES[command], null, 2)}\n`;
}
