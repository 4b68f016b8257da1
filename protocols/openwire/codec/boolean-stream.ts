import { CodecError } from './codec-error.js';
import type { DataReader } from './data-reader.js';
import type { DataWriter } from './data-writer.js';

/**
 * Tight encoding's bit stream: every boolean of a frame, packed least-significant bit first,
 * written before the frame's data. Size header: one byte n (< 64), or C0 + byte n (< 256), or
 * 80 + short n.
 */
export class BooleanStreamWriter {
  private data = new Uint8Array(64);
  private length = 0;
  private bit = 0;

  write(value: boolean): void {
    if (this.bit === 0) {
      if (this.length === this.data.length) {
        const next = new Uint8Array(this.data.length * 2);
        next.set(this.data);
        this.data = next;
      }
      this.data[this.length++] = 0;
    }
    if (value) this.data[this.length - 1]! |= 1 << this.bit;
    this.bit = (this.bit + 1) & 7;
  }

  marshal(out: DataWriter): void {
    const n = this.length;
    if (n < 64) out.u8(n);
    else if (n < 256) {
      out.u8(0xc0);
      out.u8(n);
    } else {
      out.u8(0x80);
      out.i16(n);
    }
    out.raw(this.data.subarray(0, n));
  }
}

export class BooleanStreamReader {
  private readonly data: Uint8Array;
  private pos = 0;
  private bit = 0;

  constructor(input: DataReader) {
    let n = input.u8();
    if (n === 0xc0) n = input.u8();
    else if (n === 0x80) n = input.u16();
    this.data = input.bytes(n);
  }

  read(): boolean {
    if (this.pos >= this.data.length) throw new CodecError('tight frame: boolean stream exhausted');
    const v = ((this.data[this.pos]! >> this.bit) & 1) !== 0;
    if (++this.bit === 8) {
      this.bit = 0;
      this.pos++;
    }
    return v;
  }
}
