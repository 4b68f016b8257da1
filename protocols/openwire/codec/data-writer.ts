import { longParts, type Long } from './long.js';
import { isJavaAscii, mutf8Length, writeMutf8 } from './mutf8.js';
import { CodecError } from './codec-error.js';

/** Big-endian writes into a buffer that grows as needed. */
export class DataWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialBytes = 256) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  reset(): void {
    this.pos = 0;
  }

  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** A copy of what was written. */
  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  bool(v: boolean): void {
    this.u8(v ? 1 : 0);
  }

  i16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
  }

  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v | 0, this.pos);
    this.pos += 4;
  }

  long(v: Long): void {
    const [hi, lo] = longParts(v);
    this.ensure(8);
    this.buf.writeInt32BE(hi, this.pos);
    this.buf.writeUInt32BE(lo, this.pos + 4);
    this.pos += 8;
  }

  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatBE(v, this.pos);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Modified UTF-8 bytes of `s`, no length. */
  mutf8(s: string, byteLength = mutf8Length(s)): void {
    this.ensure(byteLength);
    if (byteLength === s.length && isJavaAscii(s)) this.buf.write(s, this.pos, byteLength, 'latin1');
    else writeMutf8(this.buf, this.pos, s);
    this.pos += byteLength;
  }

  /** DataOutput.writeUTF: u16 length then modified UTF-8; longer than 65535 bytes is an error. */
  utf(s: string): void {
    const n = mutf8Length(s);
    if (n > 65535) throw new CodecError(`string of ${n} encoded bytes is longer than 65535`);
    this.i16(n);
    this.mutf8(s, n);
  }
}
