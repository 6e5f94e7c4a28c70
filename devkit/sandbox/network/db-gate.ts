import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { Admission } from './admission';

export interface DbGateOptions {
  /** The endpoint: where clients connect. */
  address: string;
  port: number;
  /** The mariadbd behind it (on 127.0.0.1); until `serve()` names one, nothing answers. */
  upstreamPort?: number;
  /** Asked for every new connection, with the client's address. */
  admit: (client: string) => Admission;
  /** Told about every refused connection. */
  onRefused?: (client: string, reason: string) => void;
  /** How long a refused connection is held before it is closed (default 120 s). */
  refusedHoldMs?: number;
}

/**
 * A DB instance's endpoint: a TCP listener that lets a connection through to the instance's
 * mariadbd only when its security groups admit the client (see admission.ts), decided once per
 * connection as EC2 does (a rule revoked later does not cut a connection it let in). A refused
 * connection gets no answer at all, as when EC2 drops the packets: the client waits for its own
 * timeout (mysql2's connectTimeout, a replica's slave_net_timeout). Unlike a dropped SYN the TCP
 * handshake itself completes, so a client sees its timeout while waiting for the server's greeting.
 */
export class DbGate {
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private upstreamPort: number | undefined;

  private constructor(private readonly options: DbGateOptions) {
    this.upstreamPort = options.upstreamPort;
    this.server = createServer({ pauseOnConnect: true }, (client) => this.handle(client));
  }

  /** Listens at the endpoint; fails (EADDRINUSE) when something else holds it. */
  static async open(options: DbGateOptions): Promise<DbGate> {
    const gate = new DbGate(options);
    await new Promise<void>((resolve, reject) => {
      gate.server.once('error', reject);
      gate.server.listen(options.port, options.address, () => {
        gate.server.off('error', reject);
        resolve();
      });
    });
    return gate;
  }

  /** From now on, admitted connections go to the mariadbd on this port. */
  serve(upstreamPort: number): void {
    this.upstreamPort = upstreamPort;
  }

  /** Stops listening and cuts every connection, admitted or held. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  private handle(client: Socket): void {
    this.track(client);
    const address = client.remoteAddress ?? '';
    const verdict = this.options.admit(address);
    if (!verdict.admitted || this.upstreamPort === undefined) {
      if (!verdict.admitted) this.options.onRefused?.(address, verdict.reason);
      const timer = setTimeout(() => client.destroy(), this.options.refusedHoldMs ?? 120_000);
      timer.unref();
      client.once('close', () => clearTimeout(timer));
      // Whatever it sends is read and dropped, so that its close is seen.
      client.on('data', () => undefined);
      client.resume();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: this.upstreamPort });
    this.track(upstream);
    upstream.once('close', () => client.destroy());
    client.once('close', () => upstream.destroy());
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }
}
