/**
 * The sandbox's network plan on loopback (127.0.0.0/8, all of it this machine's): every party a
 * security group must tell apart has an address of its own, so a rule on the wrong address, port
 * or group refuses what it should admit.
 *
 *   127.0.0.1     whoever does not choose an address: the operator at the console, a test
 *   127.0.1.N     EC2 instances (deploy hosts), by launch order
 *   127.2.X.Y     RDS DB instances, one each (their endpoint's address)
 *   127.3.0.N     opsdeck's bot and workers where config says so (`network.sourceAddress`)
 *   127.4.0.N     servers outside the cloud: the on-premise replica /seed-slave seeds
 */
export const MACHINE_ADDRESS = '127.0.0.1';

/** Console mode's bot and worker (config/console.yaml's `network.sourceAddress`). */
export const CONSOLE_WORKER_ADDRESS = '127.3.0.1';

/** Console mode's on-premise replica (config/console.yaml's `replicas.onprem.host`). */
export const CONSOLE_REPLICA_ADDRESS = '127.4.0.1';

/** The first 127.2.X.Y that no DB instance of `used` has. */
export function nextDbInstanceAddress(used: Iterable<string>): string {
  const taken = new Set(used);
  for (let n = 0; n < 250 * 250; n++) {
    const address = `127.2.${Math.floor(n / 250)}.${(n % 250) + 1}`;
    if (!taken.has(address)) return address;
  }
  throw new Error('no loopback address left for a DB instance');
}
