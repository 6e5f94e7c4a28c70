import type { MysqlEndpoint } from '../mysql/database-access';
import type { ReplicationChannelTls } from '../mysql/replication-statements';
import type { TemporaryInstanceFacts } from '../temporary-instance/temporary-instance-steps';
import type { RetentionFacts } from './binlog-retention';
import type { SeedPreflight } from './seed-preflight';

/** What `/seed-slave`'s plan says besides the input: what the planner's preflight found. */
export interface SeedFacts extends TemporaryInstanceFacts, RetentionFacts {
  /** Where the replica will be pointed (the source's endpoint). */
  sourceEndpoint: MysqlEndpoint;
  /** The replica's filters skip RDS's own mysql.rds_* tables already (else the job adds the rule). */
  replicaSkipsRdsTables: boolean;
  /** How the replica will reach the source (replicas.<name>.sourceTls and sourceCaFile). */
  channelTls: ReplicationChannelTls;
}

/** The replication channel as the plan tells it. */
export function channelWords(tls: ReplicationChannelTls): string {
  if (tls.mode === 'verify-identity')
    return `TLS, the source's certificate and name checked against ${tls.caFile ?? '?'} on the replica`;
  if (tls.mode === 'required') return "TLS, the source's name not checked";
  return 'plain TCP (sourceTls disabled)';
}

export function seedFacts(preflight: SeedPreflight): SeedFacts {
  return {
    sourceInstance: preflight.instance.DBInstanceIdentifier!,
    // The temporary replica always gets a security group of the job's own.
    securityGroupIds: [],
    sourceEndpoint: preflight.sourceEndpoint,
    retention: { current: preflight.retention.current, raise: preflight.retention.raise },
    replicaSkipsRdsTables: preflight.replica.skipsRdsTables,
    channelTls: preflight.channelTls,
  };
}
