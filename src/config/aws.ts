import { z } from 'zod';
import { envName } from './config-fields';

/**
 * How opsdeck reaches AWS. `endpoint` points every client at another implementation of the same
 * wire protocols (the sandbox cloud in console mode). Credentials come from the environment
 * variables named here, or from the SDK's default provider chain when unset; never from YAML.
 */
export const AwsConfig = z.strictObject({
  region: z.string().min(1).default('us-east-1'),
  endpoint: z.url().optional(),
  accessKeyIdEnv: envName.optional(),
  secretAccessKeyEnv: envName.optional(),
});

export type AwsConfig = z.infer<typeof AwsConfig>;
