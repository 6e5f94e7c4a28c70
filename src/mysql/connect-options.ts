import { connect, isIP, type Socket } from 'node:net';
import type { ConnectionOptions } from 'mysql2/promise';
import type { MysqlTls } from './connection-tls';

/** What mysql2 hands a `stream` factory: the connection's settings. */
interface StreamFactoryArgs {
  config?: { enableKeepAlive?: boolean; keepAliveInitialDelay?: number };
}

/**
 * The mysql2 options for every connection opsdeck opens on `host:port`: TLS as `tls` says, and
 * the socket leaving from `localAddress` when one is given (`network.sourceAddress`: a host with
 * several addresses, where a security group admits one of them). mysql2 opens the TCP socket and
 * upgrades it to TLS itself; the socket is opened here instead, as mysql2 opens its own (no delay,
 * keep-alive as the connection's settings say), when mysql2 cannot get it right:
 *
 * - with a `localAddress`: mysql2 lists such an option but does not pass it to the socket;
 * - with identity checks and an IP address as host: Node checks a server's certificate against the
 *   TLS `servername`, else the socket's `_host`, else 'localhost'; mysql2 passes no servername for
 *   an IP address and net leaves `_host` empty for one, so 127.2.0.1 would be checked as
 *   'localhost' and any certificate naming localhost would pass. Setting `_host` (what net sets
 *   for a host name) makes Node check the address against the certificate's IP SANs.
 *
 * mysql2 then upgrades that socket to TLS (servername: the host, when it is a name) when the
 * server's greeting allows it, so one socket leaves from the right address and is checked for the
 * right identity.
 */
export function mysqlConnectOptions(
  endpoint: { host: string; port: number },
  tls: MysqlTls,
  options: { localAddress?: string | undefined } = {},
): Pick<ConnectionOptions, 'ssl' | 'stream'> {
  const ssl = tls.ssl === undefined ? {} : { ssl: tls.ssl };
  const { localAddress } = options;
  const byAddress = isIP(endpoint.host) !== 0;
  const checksAddress = tls.mode === 'verify-identity' && byAddress;
  if (localAddress === undefined && !checksAddress) return ssl;
  return {
    ...ssl,
    stream: (args?: StreamFactoryArgs) => {
      const socket = connect({
        host: endpoint.host,
        port: endpoint.port,
        ...(localAddress !== undefined && { localAddress }),
      });
      if (byAddress) (socket as Socket & { _host: string | null })._host = endpoint.host;
      socket.setNoDelay(true);
      const config = args?.config;
      if (config?.enableKeepAlive !== false)
        socket.once('connect', () => socket.setKeepAlive(true, config?.keepAliveInitialDelay));
      return socket;
    },
  };
}
