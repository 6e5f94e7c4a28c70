import type { IncomingMessage } from 'node:http';

/**
 * What the sandbox knows of IAM: it records every call (the IAM action, e.g.
 * `rds:DescribeDBInstances`, and the access key that signed it) and refuses the actions it was
 * told to deny, as AWS refuses a principal whose policies lack them. Policies, resources and
 * conditions are not evaluated: the tests that use this check which actions opsdeck calls and
 * how it reports a missing one, not IAM itself.
 */

export interface RecordedAwsCall {
  /** `<service>:<Action>`, as IAM policies name it. */
  action: string;
  /** The access key id from the request's SigV4 Authorization header. */
  accessKeyId: string | undefined;
  /** EC2's DryRun: the permission was asked about, nothing was done. */
  dryRun: boolean;
  at: number;
}

export class SandboxAccess {
  readonly calls: RecordedAwsCall[] = [];
  /** Denied actions, each for some access keys or (`*`) for everyone. */
  private readonly denied = new Map<string, Set<string>>();

  /** From now on, `actions` are refused to `accessKeyId` (to everyone without one). */
  deny(actions: readonly string[], accessKeyId = '*'): void {
    for (const action of actions) {
      const keys = this.denied.get(action) ?? new Set<string>();
      keys.add(accessKeyId);
      this.denied.set(action, keys);
    }
  }

  /** Forgets every denial. */
  allowAll(): void {
    this.denied.clear();
  }

  isDenied(action: string, accessKeyId: string | undefined): boolean {
    const keys = this.denied.get(action);
    return (
      keys !== undefined && (keys.has('*') || (accessKeyId !== undefined && keys.has(accessKeyId)))
    );
  }

  record(call: RecordedAwsCall): void {
    this.calls.push(call);
  }

  /** The distinct actions called with `accessKeyId` (every call without one), sorted. */
  actions(accessKeyId?: string): string[] {
    const calls =
      accessKeyId === undefined
        ? this.calls
        : this.calls.filter((c) => c.accessKeyId === accessKeyId);
    return [...new Set(calls.map((c) => c.action))].sort();
  }
}

/** `AWS4-HMAC-SHA256 Credential=AKIA…/20260101/us-east-1/rds/aws4_request, …` → `AKIA…`. */
export function accessKeyIdOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization ?? '';
  return /Credential=([^/,\s]+)\//.exec(header)?.[1];
}
