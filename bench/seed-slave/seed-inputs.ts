/**
 * What a seed of an external replica needs, the same for the manual procedure and for opsdeck's
 * /seed-slave: where the cloud's API is, which RDS instance is the source (and its master user,
 * which the bot would take from its config), the external replica and an admin account on it,
 * the replication user the replica connects with, and the databases to copy.
 */
export interface Credentials {
  user: string;
  password: string;
}

export interface SeedSlaveInputs {
  /** Endpoint override for the AWS SDK clients (the sandbox cloud). */
  sandboxUrl: string;
  sourceInstance: string;
  sourceAdmin: Credentials;
  replica: { host: string; port: number; admin: Credentials };
  /** A user on the source with REPLICATION SLAVE. */
  replication: Credentials;
  /**
   * A security group that admits this machine (127.0.0.1): the manual procedure creates its read
   * replica in it, as an operator would name one that lets them in.
   */
  operatorGroupId: string;
  databases: string[];
}

export interface PhaseTime {
  name: string;
  seconds: number;
}

export interface SeedOutcome {
  /** When it started (epoch ms): places its phases on the benchmark's machine-CPU samples. */
  startedAt: number;
  /** From the start to "caught up" (both replication threads running, no lag). */
  seconds: number;
  /** The parts of `seconds`, in order. */
  phases: PhaseTime[];
  /** Of `seconds`, the time until the temporary read replica was available (the cloud's share). */
  replicaReadySeconds: number;
  /** Work after "caught up" (deleting the temporary replica): reported, not in `seconds`. */
  cleanup: PhaseTime[];
}
