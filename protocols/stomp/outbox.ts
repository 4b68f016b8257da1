import { isUtf8 } from 'node:buffer';
import type { TransportConnection } from '../../src/spi/index.js';

/**
 * Outbound frames of one connection. The transports coalesce one tick's writes themselves, so each
 * frame is written as it comes; over WebSocket that makes each frame its own message, text when it
 * is valid UTF-8 (as ActiveMQ sends STOMP over WebSocket) and binary otherwise.
 * Reports writability changes, so that the core stops delivering while the socket is full.
 */
export class Outbox {
  private writable = true;
  private closed = false;
  private lastWrite = Date.now();
  private readonly textFrames: boolean;

  constructor(
    private readonly transport: TransportConnection,
    private readonly onWritable: (writable: boolean) => void,
  ) {
    this.textFrames = transport.transport === 'ws' || transport.transport === 'wss';
    transport.onDrain(() => this.setWritable(true));
  }

  get lastWriteAt(): number {
    return this.lastWrite;
  }

  write(data: Buffer): void {
    if (this.closed) return;
    this.lastWrite = Date.now();
    this.setWritable(this.transport.write(this.textFrames && isUtf8(data) ? data.toString('utf8') : data));
  }

  /** Later writes are dropped: the transport is being ended. */
  close(): void {
    this.closed = true;
  }

  private setWritable(writable: boolean): void {
    if (writable === this.writable || this.closed) return;
    this.writable = writable;
    this.onWritable(writable);
  }
}
