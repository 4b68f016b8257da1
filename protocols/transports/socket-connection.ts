import type { Socket } from 'node:net';
import type { TransportConnection } from '../../src/spi/index.js';
import { ConnectionEvents } from './connection-events.js';

/** After end(), a connection the peer has not closed within this time is destroyed. */
const END_TIMEOUT_MS = 5000;

/**
 * A TCP or TLS socket as a TransportConnection. Writes in one tick are corked and flushed
 * together at its end, so an adapter may write frame by frame without a syscall each.
 */
export class SocketConnection implements TransportConnection {
  readonly remoteAddress: string;
  private readonly events = new ConnectionEvents();
  private readonly highWaterMarkBytes: number;
  private corked = false;

  constructor(
    private readonly socket: Socket,
    readonly transport: 'tcp' | 'tls',
    highWaterMarkBytes: number,
  ) {
    this.remoteAddress = `${socket.remoteAddress}:${socket.remotePort}`;
    // 'drain' only comes after the socket's own write() returned false, which happens whenever
    // the buffer is at our mark or above if our mark is at least the socket's.
    this.highWaterMarkBytes = Math.max(highWaterMarkBytes, socket.writableHighWaterMark);
    let error: Error | undefined;
    socket.on('error', (e) => (error = e));
    socket.on('drain', () => this.events.drained());
    socket.once('close', () => this.events.close(error));
  }

  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  write(data: Uint8Array | string): boolean {
    if (this.socket.destroyed || this.socket.writableEnded) return false;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(data);
    return this.events.wrote(this.socket.writableLength >= this.highWaterMarkBytes);
  }

  onData(listener: (chunk: Buffer) => void): void {
    this.socket.on('data', listener);
  }

  onDrain(listener: () => void): void {
    this.events.onDrain(listener);
  }

  onClose(listener: (error?: Error) => void): void {
    this.events.onClose(listener);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  end(): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), END_TIMEOUT_MS);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  destroy(): void {
    this.socket.destroy();
  }
}
