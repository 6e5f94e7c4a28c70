import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { OpsdeckError, ErrorCode } from '../errors';
import type { AwsConfig } from '../config/aws';

export interface AwsClients {
  rds: RDSClient;
  ec2: EC2Client;
  route53: Route53Client;
  s3: S3Client;
  /** Deploys whose target is a CodeBuild project or a CodePipeline pipeline. */
  codebuild: CodeBuildClient;
  codepipeline: CodePipelineClient;
}

/**
 * The SDK clients, configured from `aws` config only: region, endpoint, credentials. S3 against
 * an endpoint override is addressed path-style (`<endpoint>/<bucket>/<key>`): the sandbox, and
 * most S3-compatible stores, have no per-bucket host names.
 */
export function createAwsClients(aws: AwsConfig, env: NodeJS.ProcessEnv = process.env): AwsClients {
  const options = {
    region: aws.region,
    ...(aws.endpoint === undefined ? {} : { endpoint: aws.endpoint }),
    ...credentialsFrom(aws, env),
  };
  return {
    rds: new RDSClient(options),
    ec2: new EC2Client(options),
    route53: new Route53Client(options),
    s3: new S3Client({ ...options, forcePathStyle: aws.endpoint !== undefined }),
    codebuild: new CodeBuildClient(options),
    codepipeline: new CodePipelineClient(options),
  };
}

function credentialsFrom(aws: AwsConfig, env: NodeJS.ProcessEnv) {
  if (aws.accessKeyIdEnv === undefined && aws.secretAccessKeyEnv === undefined) return {};
  const accessKeyId = readSecret(env, aws.accessKeyIdEnv, 'accessKeyIdEnv');
  const secretAccessKey = readSecret(env, aws.secretAccessKeyEnv, 'secretAccessKeyEnv');
  return { credentials: { accessKeyId, secretAccessKey } };
}

function readSecret(env: NodeJS.ProcessEnv, name: string | undefined, field: string): string {
  const value = name === undefined ? undefined : env[name];
  if (value === undefined || value === '') {
    throw new OpsdeckError(
      ErrorCode.SecretMissing,
      `aws.${field} must name a set environment variable (aws.accessKeyIdEnv and aws.secretAccessKeyEnv go together)`,
    );
  }
  return value;
}
