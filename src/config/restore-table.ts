import { z } from 'zod';
import { temporaryInstanceFields } from './config-fields';

/**
 * The `restoreTable` section: how `/restore-table` creates, reaches and waits for its temporary
 * instance, and how it copies.
 *
 *   restoreTable:
 *     workerCidr: 10.0.5.17/32          # or workerSecurityGroupId: sg-0123... (the workers' group)
 *     securityGroupIds: [sg-0abc...]     # for the restored instance (default: the VPC's default group)
 *     instanceClass: db.r6g.large        # default: the source's class
 *     maxWaitMinutes: 180
 */

const CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;

export const RestoreTableConfig = z
  .strictObject({
    /** Where the workers connect from: the restored instance's port is opened from here. */
    workerCidr: z.string().regex(CIDR, 'must be an IPv4 CIDR like 10.0.5.17/32').optional(),
    /** Or the workers' security group, as the rule's source. */
    workerSecurityGroupId: z
      .string()
      .regex(SECURITY_GROUP_ID, 'must be a security group id (sg-...)')
      .optional(),
    /** Security groups for the restored instance (RDS uses the VPC's default group without). */
    securityGroupIds: z
      .array(z.string().regex(SECURITY_GROUP_ID, 'must be a security group id (sg-...)'))
      .max(5)
      .default([]),
    ...temporaryInstanceFields,
    /** Keys shown per kind of difference (missing / changed / extra) in the comparison. */
    sampleSize: z.number().int().min(0).max(100).default(10),
    /** How often a worker looks for instances and rules left behind by jobs no longer running. */
    sweepIntervalMinutes: z
      .number()
      .min(0.01)
      .max(24 * 60)
      .default(30),
  })
  .refine((c) => !(c.workerCidr && c.workerSecurityGroupId), {
    message: 'give workerCidr or workerSecurityGroupId, not both',
  });

export type RestoreTableConfig = z.infer<typeof RestoreTableConfig>;
