import { CodecError } from './codec-error.js';
import { DataReader } from './data-reader.js';
import { DataWriter } from './data-writer.js';
import type { Long } from './long.js';
import { mutf8Length } from './mutf8.js';

/**
 * ActiveMQ's typed values (MarshallingSupport): message properties, MapMessage and
 * StreamMessage bodies, WireFormatInfo options. docs/openwire.md §9.4.
 */
export type TypedValue =
  | { t: 'null' }
  | { t: 'boolean'; v: boolean }
  | { t: 'byte'; v: number }
  /** One UTF-16 code unit. */
  | { t: 'char'; v: number }
  | { t: 'short'; v: number }
  | { t: 'int'; v: number }
  | { t: 'long'; v: Long }
  | { t: 'double'; v: number }
  | { t: 'float'; v: number }
  | { t: 'string'; v: string }
  | { t: 'bytes'; v: Uint8Array }
  | { t: 'map'; v: MapEntry[] }
  | { t: 'list'; v: TypedValue[] };

export type MapEntry = [key: string, value: TypedValue];

const TAG = {
  NULL: 0, BOOLEAN: 1, BYTE: 2, CHAR: 3, SHORT: 4, INTEGER: 5, LONG: 6, DOUBLE: 7, FLOAT: 8, STRING: 9,
  BYTE_ARRAY: 10, MAP: 11, LIST: 12, BIG_STRING: 13,
} as const;

/** Strings of this many UTF-16 units or more use BIG_STRING (int length). */
const BIG_STRING_CHARS = 8191;
const MAX_NESTING = 16;

export interface PrimitiveLimits {
  /** Entries of one map or list, nested ones counted separately. */
  maxEntries: number;
}

const DEFAULT_LIMITS: PrimitiveLimits = { maxEntries: 4096 };

export function readTypedValue(r: DataReader, limits: PrimitiveLimits = DEFAULT_LIMITS, depth = 0): TypedValue {
  const tag = r.u8();
  switch (tag) {
    case TAG.NULL: return { t: 'null' };
    case TAG.BOOLEAN: return { t: 'boolean', v: r.bool() };
    case TAG.BYTE: return { t: 'byte', v: r.i8() };
    case TAG.CHAR: return { t: 'char', v: r.u16() };
    case TAG.SHORT: return { t: 'short', v: r.i16() };
    case TAG.INTEGER: return { t: 'int', v: r.i32() };
    case TAG.LONG: return { t: 'long', v: r.long() };
    case TAG.DOUBLE: return { t: 'double', v: r.f64() };
    case TAG.FLOAT: return { t: 'float', v: r.f32() };
    case TAG.STRING: return { t: 'string', v: r.utf() };
    case TAG.BIG_STRING: {
      const n = r.i32();
      if (n < 0) throw new CodecError(`negative string length ${n}`);
      return { t: 'string', v: r.mutf8(n) };
    }
    case TAG.BYTE_ARRAY: return { t: 'bytes', v: r.sizedBytes() };
    case TAG.MAP: {
      if (depth >= MAX_NESTING) throw new CodecError('typed values nested too deeply');
      const entries = readMapEntries(r, limits, depth + 1);
      return entries === null ? { t: 'null' } : { t: 'map', v: entries };
    }
    case TAG.LIST: {
      if (depth >= MAX_NESTING) throw new CodecError('typed values nested too deeply');
      const n = r.i32();
      checkCount(n, r, limits);
      const items: TypedValue[] = [];
      for (let i = 0; i < n; i++) items.push(readTypedValue(r, limits, depth + 1));
      return { t: 'list', v: items };
    }
    default:
      throw new CodecError(`unknown typed value tag ${tag}`);
  }
}

function checkCount(n: number, r: DataReader, limits: PrimitiveLimits): void {
  if (n < 0) throw new CodecError(`negative count ${n}`);
  if (n > limits.maxEntries) throw new CodecError(`${n} entries exceed the maximum of ${limits.maxEntries}`);
  if (n > r.remaining) throw new CodecError(`${n} entries cannot fit in ${r.remaining} bytes`);
}

/** `int count` (-1 = null) then the entries. */
function readMapEntries(r: DataReader, limits: PrimitiveLimits, depth: number): MapEntry[] | null {
  const n = r.i32();
  if (n === -1) return null;
  checkCount(n, r, limits);
  const entries: MapEntry[] = [];
  for (let i = 0; i < n; i++) {
    const key = r.utf();
    entries.push([key, readTypedValue(r, limits, depth)]);
  }
  return entries;
}

/** Decodes a whole primitive map (properties, MapMessage body, WireFormatInfo options). */
export function decodePrimitiveMap(bytes: Uint8Array, limits: PrimitiveLimits = DEFAULT_LIMITS): MapEntry[] {
  const r = new DataReader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  const entries = readMapEntries(r, limits, 0) ?? [];
  if (r.remaining !== 0) throw new CodecError(`${r.remaining} bytes after the end of a map`);
  return entries;
}

/** Decodes a StreamMessage body: typed values until the end. */
export function decodeTypedValues(bytes: Uint8Array, limits: PrimitiveLimits = DEFAULT_LIMITS): TypedValue[] {
  const r = new DataReader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  const out: TypedValue[] = [];
  while (r.remaining > 0) {
    if (out.length >= limits.maxEntries) throw new CodecError(`more than ${limits.maxEntries} stream values`);
    out.push(readTypedValue(r, limits, 0));
  }
  return out;
}

export function writeTypedValue(w: DataWriter, value: TypedValue): void {
  switch (value.t) {
    case 'null': w.u8(TAG.NULL); return;
    case 'boolean': w.u8(TAG.BOOLEAN); w.bool(value.v); return;
    case 'byte': w.u8(TAG.BYTE); w.u8(value.v); return;
    case 'char': w.u8(TAG.CHAR); w.i16(value.v); return;
    case 'short': w.u8(TAG.SHORT); w.i16(value.v); return;
    case 'int': w.u8(TAG.INTEGER); w.i32(value.v); return;
    case 'long': w.u8(TAG.LONG); w.long(value.v); return;
    case 'double': w.u8(TAG.DOUBLE); w.f64(value.v); return;
    case 'float': w.u8(TAG.FLOAT); w.f32(value.v); return;
    case 'string':
      if (value.v.length < BIG_STRING_CHARS) {
        w.u8(TAG.STRING);
        w.utf(value.v);
      } else {
        const n = mutf8Length(value.v);
        w.u8(TAG.BIG_STRING);
        w.i32(n);
        w.mutf8(value.v, n);
      }
      return;
    case 'bytes': w.u8(TAG.BYTE_ARRAY); w.i32(value.v.length); w.raw(value.v); return;
    case 'map': w.u8(TAG.MAP); writeMapEntries(w, value.v); return;
    case 'list':
      w.u8(TAG.LIST);
      w.i32(value.v.length);
      for (const item of value.v) writeTypedValue(w, item);
      return;
  }
}

function writeMapEntries(w: DataWriter, entries: readonly MapEntry[]): void {
  w.i32(entries.length);
  for (const [key, value] of entries) {
    w.utf(key);
    writeTypedValue(w, value);
  }
}

export function encodePrimitiveMap(entries: readonly MapEntry[]): Buffer {
  const w = new DataWriter(64);
  writeMapEntries(w, entries);
  return w.toBuffer();
}
