import { isUtf8 } from 'node:buffer';
import type { TransportConnection } from '../../src/spi/index.js';
import type { StompVersion } from './codec/frame.js';
import { ByteBuffer, FrameWriter } from './codec/frame-encoder.js';

/**
 * A TCP or TLS batch is handed to the transport once it holds this much, not only at the end of
 * the tick: the transport then reports a full buffer early enough for the core to stop delivering.
 */
const BATCH_FLUSH_BYTES = 16 * 1024;
const FIRST_BATCH_BYTES = 1024;

/**
 * Outbound frames of one connection. Over TCP and TLS, frames are encoded straight into one
 * buffer per tick (no buffer per frame), which goes to the transport at the end of the tick or
 * once it is BATCH_FLUSH_BYTES long. Over WebSocket each frame is its own message, text when it is
 * valid UTF-8 (as ActiveMQ sends STOMP over WebSocket) and binary otherwise.
 * Reports writability changes, so that the core stops delivering while the socket is full.
 *
 * Frames: beginFrame(), header() on the writer it returns, endFrame().
 */
export class Outbox {
  private writable = true;
  private closed = false;
  private lastWrite = Date.now();
  private readonly textFrames: boolean;
  private readonly writer = new FrameWriter();
  /** This tick's bytes (TCP, TLS) or the frame being encoded (WebSocket). */
  private batch: ByteBuffer | undefined;
  /** How long the last batch grew: the next one starts at that size. */
  private batchBytes = FIRST_BATCH_BYTES;
  private flushScheduled = false;

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

  beginFrame(command: string, version: StompVersion | undefined): FrameWriter {
    return this.writer.begin(this.target(), command, version);
  }

  endFrame(body?: Uint8Array, withContentLength = false): void {
    this.writer.end(body, withContentLength);
    this.written();
  }

  /** Writes bytes that are already a frame (or a heart-beat). */
  write(data: Uint8Array): void {
    this.target().append(data);
    this.written();
  }

  /** Hands over what is written; later writes are dropped: the transport is being ended. */
  close(): void {
    this.flush();
    this.closed = true;
  }

  private target(): ByteBuffer {
    if (this.batch === undefined) this.batch = new ByteBuffer(this.batchBytes);
    return this.batch;
  }

  private written(): void {
    const batch = this.batch!;
    if (this.textFrames || batch.length >= BATCH_FLUSH_BYTES) {
      this.flush();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  private flush(): void {
    const batch = this.batch;
    if (batch === undefined) return;
    this.batch = undefined;
    this.batchBytes = Math.max(FIRST_BATCH_BYTES, Math.min(batch.length, BATCH_FLUSH_BYTES * 2));
    if (this.closed || batch.length === 0) return;
    this.lastWrite = Date.now();
    const data = batch.bytes.subarray(0, batch.length);
    this.setWritable(this.transport.write(this.textFrames && isUtf8(data) ? data.toString('utf8') : data));
  }

  private setWritable(writable: boolean): void {
    if (writable === this.writable || this.closed) return;
    this.writable = writable;
    this.onWritable(writable);
  }
}
