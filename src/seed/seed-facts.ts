import type { MysqlEndpoint } from '../mysql/database-access';
import type { TemporaryInstanceFacts } from '../temporary-instance/temporary-instance-steps';
import type { SeedPreflight } from './seed-preflight';

/** What `/seed-slave`'s plan says besides the input: what the planner's preflight found. */
export interface SeedFacts extends TemporaryInstanceFacts {
  /** Where the replica will be pointed (the source's endpoint). */
  sourceEndpoint: MysqlEndpoint;
  /** The source's binlog retention as found, and whether the job raises it. */
  retention: { current: number | null; raise: boolean };
  /** The replica's filters skip RDS's own mysql.rds_* tables already (else the job adds the rule). */
  replicaSkipsRdsTables: boolean;
}

export function seedFacts(preflight: SeedPreflight): SeedFacts {
  return {
    sourceInstance: preflight.instance.DBInstanceIdentifier!,
    // The temporary replica always gets a security group of the job's own.
    securityGroupIds: [],
    sourceEndpoint: preflight.sourceEndpoint,
    retention: { current: preflight.retention.current, raise: preflight.retention.raise },
    replicaSkipsRdsTables: preflight.replica.skipsRdsTables,
  };
}
