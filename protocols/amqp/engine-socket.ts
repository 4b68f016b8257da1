import type { TransportConnection } from '../../src/spi/index.js';
import type { SocketLike } from './rhea-engine.js';

type Listener = (arg?: unknown) => void;

/**
 * The socket rhea reads from and writes to, over our TransportConnection. Input reaches rhea
 * only through input() (after the frame guard); output is coalesced into one transport write
 * per event-loop turn (rhea writes frame by frame; over WebSocket that would be a message each).
 * Once sealed, rhea's writes and end are ignored: the connection is closing on its own terms.
 */
export class EngineSocket implements SocketLike {
  readonly encrypted: boolean;
  readonly authorized = false;
  private readonly listeners = new Map<string, Listener[]>();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private sealed = false;

  constructor(
    private readonly transport: TransportConnection,
    /** rhea asked to end the socket (it is done, or it failed on input). */
    private readonly onEngineEnd: () => void,
    /** A flush found the transport above its high-water mark. */
    private readonly onBackpressure: () => void,
  ) {
    this.encrypted = transport.transport === 'tls' || transport.transport === 'wss';
  }

  on(event: 'data' | 'error' | 'end', listener: Listener): this {
    const list = this.listeners.get(event) ?? [];
    list.push(listener);
    this.listeners.set(event, list);
    return this;
  }

  /** Hands inbound bytes to rhea. */
  input(chunk: Buffer): void {
    for (const l of this.listeners.get('data') ?? []) l(chunk);
  }

  /** Tells rhea the transport is gone. */
  eof(): void {
    for (const l of this.listeners.get('end') ?? []) l();
  }

  write(data: Buffer): void {
    if (this.sealed) return;
    this.enqueue(data);
  }

  end(): void {
    if (this.sealed) return;
    this.onEngineEnd();
  }

  destroy(): void {
    this.transport.destroy();
  }

  get_id_string(): string {
    return `${this.transport.transport}://${this.transport.remoteAddress}`;
  }

  /** From now on rhea's writes and end are ignored (what it wrote before still goes out). */
  seal(): void {
    this.sealed = true;
  }

  /** Writes our own bytes (after or instead of rhea's), in order with what is queued. */
  writeOwn(data: Buffer): void {
    this.enqueue(data);
  }

  /** Flushes what is queued, then ends the transport. */
  finish(): void {
    this.flush();
    this.transport.end();
  }

  private enqueue(data: Buffer): void {
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const out = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.transport.write(out)) this.onBackpressure();
  }
}
