import net from 'node:net';

/**
 * A TCP proxy in front of the broker, for failover tests: `dropClients()` destroys the client
 * side of every proxied connection and, unless told otherwise, leaves the broker side open, as
 * a network failure the broker has not noticed yet would (a stale connection).
 */
export class TcpProxy {
  private readonly server: net.Server;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  port = 0;
  accepted = 0;

  constructor(private readonly targetPort: number) {
    this.server = net.createServer((client) => {
      this.accepted++;
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      const pair = { client, upstream };
      this.pairs.add(pair);
      client.pipe(upstream);
      upstream.pipe(client);
      const forget = (): void => {
        this.pairs.delete(pair);
      };
      client.on('error', () => undefined);
      upstream.on('error', () => undefined);
      client.on('close', forget);
    });
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Cuts every client; `keepUpstream` leaves the broker's side open (stale). */
  dropClients(keepUpstream = true): void {
    for (const { client, upstream } of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.destroy();
      if (!keepUpstream) upstream.destroy();
    }
  }

  async stop(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise((resolve) => this.server.close(resolve));
  }
}
