import type { ProtocolAdapter, TransportConnection } from '../../src/spi/index.js';

export interface EchoOptions {
  name?: string;
  webSocketProtocols?: readonly string[];
  /** What to write back for each chunk received (default: the chunk itself, as bytes). */
  reply?: (chunk: Buffer, connection: TransportConnection) => Uint8Array | string | undefined;
}

/** A protocol adapter for transport tests: writes back what it receives and records its connections. */
export class EchoAdapter implements ProtocolAdapter {
  readonly name: string;
  readonly webSocketProtocols: readonly string[];
  readonly accepted: TransportConnection[] = [];
  readonly open = new Set<TransportConnection>();
  private readonly reply: NonNullable<EchoOptions['reply']>;

  constructor(options: EchoOptions = {}) {
    this.name = options.name ?? 'echo';
    this.webSocketProtocols = options.webSocketProtocols ?? [];
    this.reply = options.reply ?? ((chunk) => chunk);
  }

  get connectionCount(): number {
    return this.open.size;
  }

  accept(connection: TransportConnection): void {
    this.accepted.push(connection);
    this.open.add(connection);
    connection.onData((chunk) => {
      const answer = this.reply(chunk, connection);
      if (answer !== undefined) connection.write(answer);
    });
    connection.onClose(() => this.open.delete(connection));
  }

  async close(): Promise<void> {
    for (const c of this.open) c.end();
  }
}
