import { CodecError } from './codec-error.js';
import { longFromParts, type Long } from './long.js';
import { decodeMutf8 } from './mutf8.js';

/** Big-endian reads over one frame with bounds checks: nothing is read past `end`. */
export class DataReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    offset = 0,
    readonly end = buf.length,
  ) {
    this.pos = offset;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new CodecError(`truncated: need ${n} bytes at offset ${this.pos}, ${this.end - this.pos} left`);
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  i8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }

  bool(): boolean {
    return this.u8() !== 0;
  }

  i16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  long(): Long {
    this.need(8);
    const b = this.buf;
    const p = this.pos;
    // By hand: Buffer's readers validate their offset again on this hot path.
    const hi = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
    const lo = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
    this.pos = p + 8;
    return longFromParts(hi, lo);
  }

  f32(): number {
    this.need(4);
    const v = this.buf.readFloatBE(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  /** `n` bytes: a view of the frame, not a copy (copy what outlives the frame's buffer). */
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** An int length then that many bytes; the length is bounded by what is left of the frame. */
  sizedBytes(): Uint8Array {
    const n = this.i32();
    if (n < 0) throw new CodecError(`negative byte array length ${n}`);
    return this.bytes(n);
  }

  /** `n` bytes of modified UTF-8. */
  mutf8(n: number): string {
    this.need(n);
    const s = decodeMutf8(this.buf, this.pos, n);
    this.pos += n;
    return s;
  }

  /** DataInput.readUTF: u16 length then modified UTF-8. */
  utf(): string {
    return this.mutf8(this.u16());
  }
}
