import { connect, type Socket } from 'node:net';

/**
 * mysql2 options that make its connections leave from `localAddress` (a host with several
 * addresses, where a security group admits one of them). mysql2 lists a `localAddress` option but
 * does not pass it to the socket, so the socket is made here, as mysql2 makes its own (no delay).
 * Without an address: no options, the system chooses.
 */
export function sourceAddressOptions(
  endpoint: { host: string; port: number },
  localAddress: string | undefined,
): { stream?: () => Socket } {
  if (localAddress === undefined) return {};
  return {
    stream: () =>
      connect({ host: endpoint.host, port: endpoint.port, localAddress }).setNoDelay(true),
  };
}
