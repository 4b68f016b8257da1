import type { Socket } from 'node:net';
import type { TransportConnection } from '../../src/spi/index.js';
import { ConnectionEvents } from './connection-events.js';

/** After end(), a connection the peer has not closed within this time is destroyed. */
const END_TIMEOUT_MS = 5000;
/** Up to this many bytes, one tick's writes are copied into one buffer before they go to the socket. */
const COALESCE_MAX_BYTES = 1024 * 1024;

/**
 * A TCP or TLS socket as a TransportConnection. Writes in one tick are collected and written to
 * the socket as one buffer at its end, so an adapter may write frame by frame without a syscall
 * (or a stream write request) each.
 */
export class SocketConnection implements TransportConnection {
  readonly remoteAddress: string;
  private readonly events = new ConnectionEvents();
  private readonly highWaterMarkBytes: number;
  /** This tick's writes, not yet handed to the socket. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;

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
    return this.socket.writableLength + this.pendingBytes;
  }

  write(data: Uint8Array | string): boolean {
    if (this.socket.destroyed || this.socket.writableEnded) return false;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (this.pending.length === 0) process.nextTick(this.flushAtTickEnd);
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    return this.events.wrote(this.bufferedBytes >= this.highWaterMarkBytes);
  }

  private readonly flushAtTickEnd = (): void => {
    // A socket that takes everything at once (its write() returns true) emits no 'drain': a
    // writer told the buffer was full must then hear it here.
    if (this.flush()) this.events.drained();
  };

  /** Hands this tick's writes to the socket; returns false while the socket is above its mark (it emits 'drain' later). */
  private flush(): boolean {
    const chunks = this.pending;
    const total = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    if (chunks.length === 0 || this.socket.destroyed || this.socket.writableEnded) return false;
    if (chunks.length === 1) return this.socket.write(chunks[0]!);
    // Copying many small frames into one buffer is cheaper than a stream write request per frame;
    // large data is not copied again, but goes out in one writev.
    if (total <= COALESCE_MAX_BYTES) return this.socket.write(Buffer.concat(chunks, total));
    this.socket.cork();
    let belowMark = true;
    for (const c of chunks) belowMark = this.socket.write(c);
    this.socket.uncork();
    return belowMark;
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
    this.flush();
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), END_TIMEOUT_MS);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  destroy(): void {
    this.socket.destroy();
  }
}
