import { CodecError } from './codec-error.js';

/**
 * Splits a byte stream into OpenWire frames (int size, then `size` bytes: type and body).
 * Resumable at any chunk boundary; buffers at most one frame, whose size is checked against
 * `maxFrameBytes` as soon as its prefix arrives (before any of it is buffered).
 */
export class FrameSplitter {
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes needed before the pending ones can make progress (a size prefix, or a whole frame). */
  private needed = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes held for an incomplete frame. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Feeds a chunk; returns the complete frames it finishes, each from the type byte on (no size
   * prefix). Throws CodecError for an impossible size; the stream is unusable after that.
   */
  push(chunk: Buffer): Buffer[] {
    let buf: Buffer;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < this.needed) return [];
      buf = Buffer.concat(this.pending, this.pendingBytes);
      this.pending.length = 0;
      this.pendingBytes = 0;
    } else {
      buf = chunk;
    }
    const frames: Buffer[] = [];
    let pos = 0;
    this.needed = 4;
    while (buf.length - pos >= 4) {
      const size = buf.readInt32BE(pos);
      if (size < 1) throw new CodecError(`invalid frame size ${size}`);
      if (size > this.maxFrameBytes) throw new CodecError(`frame of ${size} bytes exceeds the maximum of ${this.maxFrameBytes}`);
      if (buf.length - pos - 4 < size) {
        this.needed = 4 + size;
        break;
      }
      frames.push(buf.subarray(pos + 4, pos + 4 + size));
      pos += 4 + size;
    }
    if (pos < buf.length) {
      const rest = buf.subarray(pos);
      this.pending.push(rest);
      this.pendingBytes = rest.length;
    }
    return frames;
  }
}
