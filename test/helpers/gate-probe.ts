import { connect } from 'node:net';

export type Reach = 'greeted' | 'silent' | 'refused';

/**
 * Opens a TCP connection to a MySQL endpoint from `localAddress` (default: the system's choice,
 * 127.0.0.1 on loopback) and says whether the server's greeting arrived within `timeoutMs`:
 * `greeted` (a security group admitted it), `silent` (the sandbox's gate holds a connection it
 * refused, as EC2 drops one) or `refused` (nothing listens there).
 */
export function probeEndpoint(
  endpoint: { host: string; port: number },
  options: { localAddress?: string; timeoutMs?: number } = {},
): Promise<Reach> {
  return new Promise((resolve) => {
    const socket = connect({
      host: endpoint.host,
      port: endpoint.port,
      ...(options.localAddress && { localAddress: options.localAddress }),
    });
    const done = (reach: Reach) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reach);
    };
    const timer = setTimeout(() => done('silent'), options.timeoutMs ?? 1500);
    socket.once('data', () => done('greeted'));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done(error.code === 'ECONNREFUSED' ? 'refused' : 'silent'),
    );
  });
}
