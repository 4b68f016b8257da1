import type { BooleanStreamReader, BooleanStreamWriter } from './boolean-stream.js';
import { CodecError } from './codec-error.js';
import type { DataReader } from './data-reader.js';
import type { DataWriter } from './data-writer.js';
import type { Long } from './long.js';
import { isJavaAscii, mutf8Length } from './mutf8.js';

/**
 * The leaf fields of OpenWire structures in both encodings: `bs` is the tight encoding's
 * boolean stream, undefined when loose (a loose boolean is a byte of its own).
 */

export function readBool(r: DataReader, bs: BooleanStreamReader | undefined): boolean {
  return bs === undefined ? r.bool() : bs.read();
}

export function writeBool(w: DataWriter, bs: BooleanStreamWriter | undefined, v: boolean): void {
  if (bs === undefined) w.bool(v);
  else bs.write(v);
}

export function readLong(r: DataReader, bs: BooleanStreamReader | undefined): Long {
  if (bs === undefined) return r.long();
  // Tight: 2 bits choose 0, 2, 4 (both unsigned) or 8 bytes.
  if (bs.read()) {
    if (bs.read()) return r.long();
    r.need(4);
    const v = r.buf.readUInt32BE(r.pos);
    r.pos += 4;
    return v;
  }
  if (bs.read()) return r.u16();
  return 0;
}

export function writeLong(w: DataWriter, bs: BooleanStreamWriter | undefined, v: Long): void {
  if (bs === undefined) {
    w.long(v);
    return;
  }
  const big = typeof v === 'bigint' ? BigInt.asIntN(64, v) : undefined;
  const n = big === undefined ? (v as number) : undefined;
  if (n === 0 || big === 0n) {
    bs.write(false);
    bs.write(false);
  } else if (n !== undefined ? n > 0 && n <= 0xffff : big! > 0n && big! <= 0xffffn) {
    bs.write(false);
    bs.write(true);
    w.i16(Number(v));
  } else if (n !== undefined ? n > 0 && n <= 0xffffffff : big! > 0n && big! <= 0xffffffffn) {
    bs.write(true);
    bs.write(false);
    w.ensure(4);
    w.buf.writeUInt32BE(Number(v), w.pos);
    w.pos += 4;
  } else {
    bs.write(true);
    bs.write(true);
    w.long(v);
  }
}

/** A nullable string; tight strings have an "ascii" bit: then a short length and one byte per char. */
export function readString(r: DataReader, bs: BooleanStreamReader | undefined): string | null {
  if (bs === undefined) return r.bool() ? r.utf() : null;
  if (!bs.read()) return null;
  if (bs.read()) {
    const n = r.i16();
    if (n < 0) throw new CodecError(`negative string length ${n}`);
    r.need(n);
    const s = r.buf.toString('latin1', r.pos, r.pos + n);
    r.pos += n;
    return s;
  }
  return r.utf();
}

export function writeString(w: DataWriter, bs: BooleanStreamWriter | undefined, s: string | null): void {
  if (bs === undefined) {
    w.bool(s !== null);
    if (s !== null) w.utf(s);
    return;
  }
  bs.write(s !== null);
  if (s === null) return;
  if (mutf8Length(s) >= 32767) throw new CodecError('string too long for tight encoding');
  const ascii = isJavaAscii(s);
  bs.write(ascii);
  if (ascii) {
    w.i16(s.length);
    w.mutf8(s, s.length);
  } else {
    w.utf(s);
  }
}

/** A nullable int-sized byte array: a view of the frame, not a copy. */
export function readBytes(r: DataReader, bs: BooleanStreamReader | undefined): Uint8Array | null {
  return readBool(r, bs) ? r.sizedBytes() : null;
}

export function writeBytes(w: DataWriter, bs: BooleanStreamWriter | undefined, b: Uint8Array | null): void {
  writeBool(w, bs, b !== null);
  if (b === null) return;
  w.i32(b.length);
  w.raw(b);
}

export function writeMagic(w: DataWriter, b: Uint8Array | undefined): void {
  if (!b || b.length !== 8) throw new CodecError('magic must be 8 bytes');
  w.raw(b);
}
