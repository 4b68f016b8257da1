import type { PropertyType, PropertyValue } from '../../src/spi/index.js';
import { checkValues } from './encoding-check.js';
import { types, type Typed } from './rhea-engine.js';

/**
 * Small helpers over rhea's codec for the AMQP type system (spec part 1): reading described
 * types by descriptor, plain values out of Typed ones, and typed values back for writing.
 */

/** AMQP typecodes this adapter inspects (spec 1.6). */
export const TYPECODE = {
  null: 0x40, true: 0x41, false: 0x42, boolean: 0x56,
  ubyte: 0x50, ushort: 0x60, uint: 0x70, smalluint: 0x52, uint0: 0x43,
  ulong: 0x80, smallulong: 0x53, ulong0: 0x44,
  byte: 0x51, short: 0x61, int: 0x71, smallint: 0x54, long: 0x81, smalllong: 0x55,
  float: 0x72, double: 0x82, char: 0x73, timestamp: 0x83, uuid: 0x98,
  vbin8: 0xa0, vbin32: 0xb0, str8: 0xa1, str32: 0xb1, sym8: 0xa3, sym32: 0xb3,
  list0: 0x45, list8: 0xc0, list32: 0xd0, map8: 0xc1, map32: 0xd1, array8: 0xe0, array32: 0xf0,
} as const;

/** Descriptor codes with their symbolic names, for the described types we read. */
const SYMBOLIC: Record<string, number> = {
  'amqp:header:list': 0x70,
  'amqp:delivery-annotations:map': 0x71,
  'amqp:message-annotations:map': 0x72,
  'amqp:properties:list': 0x73,
  'amqp:application-properties:map': 0x74,
  'amqp:data:binary': 0x75,
  'amqp:amqp-sequence:list': 0x76,
  'amqp:amqp-value:*': 0x77,
  'amqp:footer:map': 0x78,
  'amqp:accepted:list': 0x24,
  'amqp:rejected:list': 0x25,
  'amqp:released:list': 0x26,
  'amqp:modified:list': 0x27,
  'amqp:received:list': 0x23,
  'amqp:source:list': 0x28,
  'amqp:target:list': 0x29,
  'amqp:coordinator:list': 0x30,
  'amqp:declare:list': 0x31,
  'amqp:discharge:list': 0x32,
  'amqp:declared:list': 0x33,
  'amqp:transactional-state:list': 0x34,
  'apache.org:selector-filter:string': 0x0000_468c_0000_0004,
  'apache.org:no-local-filter:list': 0x0000_468c_0000_0003,
};

export const DESCRIPTOR = {
  header: 0x70, deliveryAnnotations: 0x71, messageAnnotations: 0x72, properties: 0x73,
  applicationProperties: 0x74, data: 0x75, amqpSequence: 0x76, amqpValue: 0x77, footer: 0x78,
  received: 0x23, accepted: 0x24, rejected: 0x25, released: 0x26, modified: 0x27,
  source: 0x28, target: 0x29, coordinator: 0x30, declare: 0x31, discharge: 0x32, declared: 0x33, transactionalState: 0x34,
  selectorFilter: 0x0000_468c_0000_0004, noLocalFilter: 0x0000_468c_0000_0003,
} as const;

function isTyped(v: unknown): v is Typed {
  return typeof v === 'object' && v !== null && 'type' in v && 'value' in v;
}

/** The numeric descriptor of a described value (symbolic ones translated), or undefined. */
export function descriptorOf(v: unknown): number | undefined {
  if (!isTyped(v) || !v.descriptor) return undefined;
  const d = v.descriptor.value;
  if (typeof d === 'number') return d;
  if (typeof d === 'string') return SYMBOLIC[d];
  return undefined;
}

/** The fields of a described list (empty for anything else). */
export function listFields(v: Typed): Typed[] {
  return Array.isArray(v.value) ? (v.value as Typed[]) : [];
}

function isNullish(v: Typed | undefined): boolean {
  return v === undefined || v.type.typecode === TYPECODE.null;
}

/** A plain JS value of a simple Typed value (not lists, maps or arrays). */
export function plain(v: Typed | undefined): unknown {
  if (v === undefined || isNullish(v)) return undefined;
  if (v.type.typecode === TYPECODE.boolean) return v.value !== 0;
  return v.value;
}

export function stringField(v: Typed | undefined): string | undefined {
  const p = plain(v);
  return typeof p === 'string' ? p : undefined;
}

export function numberField(v: Typed | undefined): number | undefined {
  const p = plain(v);
  if (typeof p === 'number') return p;
  if (p instanceof Date) return p.getTime();
  return undefined;
}

export function booleanField(v: Typed | undefined): boolean | undefined {
  const p = plain(v);
  return typeof p === 'boolean' ? p : undefined;
}

export function binaryField(v: Typed | undefined): Buffer | undefined {
  const p = plain(v);
  return Buffer.isBuffer(p) ? p : undefined;
}

/** The entries of an AMQP map as [key, value] pairs of Typed values. */
export function mapEntries(v: Typed): Array<[Typed, Typed]> {
  const items = Array.isArray(v.value) ? (v.value as Typed[]) : [];
  const out: Array<[Typed, Typed]> = [];
  for (let i = 0; i + 1 < items.length; i += 2) out.push([items[i]!, items[i + 1]!]);
  return out;
}

/** A 64-bit value rhea gives as a Buffer when it does not fit a double exactly. */
function int64(v: unknown, signed: boolean): number | bigint | undefined {
  if (typeof v === 'number') return v;
  if (Buffer.isBuffer(v) && v.length === 8) return signed ? v.readBigInt64BE(0) : v.readBigUInt64BE(0);
  return undefined;
}

export function formatUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function parseUuid(s: string): Buffer | undefined {
  const hex = s.replace(/-/g, '');
  return /^[0-9a-fA-F]{32}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}

/**
 * An application-property value in the neutral model, with the type hint that lets AMQP and
 * OpenWire consumers see the same type; unsigned types widen as ActiveMQ widens them to JMS
 * types. Undefined for types JMS has no place for (lists, maps, arrays, decimals).
 */
export function propertyOf(v: Typed): { value: PropertyValue; type?: PropertyType } | undefined {
  const code = v.type.typecode;
  const value = v.value;
  switch (code) {
    case TYPECODE.null: return { value: null };
    case TYPECODE.true: case TYPECODE.false: return { value: value as boolean, type: 'boolean' };
    case TYPECODE.boolean: return { value: value !== 0, type: 'boolean' };
    case TYPECODE.byte: return { value: value as number, type: 'byte' };
    case TYPECODE.short: return { value: value as number, type: 'short' };
    case TYPECODE.int: case TYPECODE.smallint: return { value: value as number, type: 'int' };
    case TYPECODE.long: case TYPECODE.smalllong: {
      const n = int64(value, true);
      return n === undefined ? undefined : { value: n, type: 'long' };
    }
    case TYPECODE.ubyte: return { value: value as number, type: (value as number) > 127 ? 'short' : 'byte' };
    case TYPECODE.ushort: return { value: value as number, type: (value as number) > 32767 ? 'int' : 'short' };
    case TYPECODE.uint: case TYPECODE.smalluint: case TYPECODE.uint0:
      return { value: value as number, type: (value as number) > 0x7fff_ffff ? 'long' : 'int' };
    case TYPECODE.ulong: case TYPECODE.smallulong: case TYPECODE.ulong0: {
      const n = int64(value, false);
      return n === undefined ? undefined : { value: n, type: 'long' };
    }
    case TYPECODE.float: return { value: value as number, type: 'float' };
    case TYPECODE.double: return { value: value as number, type: 'double' };
    case TYPECODE.char: return { value: String.fromCodePoint(value as number), type: 'char' };
    case TYPECODE.timestamp: return { value: (value as Date).getTime(), type: 'long' };
    case TYPECODE.uuid: return { value: formatUuid(value as Buffer), type: 'string' };
    case TYPECODE.vbin8: case TYPECODE.vbin32: return { value: new Uint8Array(value as Buffer), type: 'bytes' };
    case TYPECODE.str8: case TYPECODE.str32: case TYPECODE.sym8: case TYPECODE.sym32:
      return { value: value as string, type: 'string' };
    default: return undefined;
  }
}

function longTyped(v: number | bigint): Typed {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return types.wrap_long(v);
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt.asIntN(64, BigInt(v)));
  return types.Long(b);
}

/** A neutral property value as a typed AMQP value, honouring its type hint. */
export function typedOfProperty(v: PropertyValue, hint?: PropertyType): Typed {
  if (v === null) return types.Null();
  if (typeof v === 'string') return hint === 'char' && v.length > 0 ? types.CharUTF32(v.codePointAt(0)!) : types.wrap_string(v);
  if (typeof v === 'boolean') return types.wrap_boolean(v);
  if (typeof v === 'bigint') return longTyped(v);
  if (v instanceof Uint8Array) return types.wrap_binary(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  const fits = (bits: number): boolean => Number.isInteger(v) && v >= -(2 ** (bits - 1)) && v < 2 ** (bits - 1);
  if (hint === 'byte' && fits(8)) return types.Byte(v);
  if (hint === 'short' && fits(16)) return types.Short(v);
  if (hint === 'int' && fits(32)) return types.wrap_int(v);
  if (hint === 'float') return types.Float(v);
  if (hint === 'double') return types.Double(v);
  // Longs, and numbers without a usable hint: integers as long, others as double (as JMS does).
  return Number.isSafeInteger(v) ? longTyped(v) : types.Double(v);
}

/** A described list (composite type) with trailing null fields left out. */
export function describedList(code: number, fields: Array<Typed | undefined>): Typed {
  let n = fields.length;
  while (n > 0 && isNullish(fields[n - 1])) n--;
  const items = fields.slice(0, n).map((f) => f ?? types.Null());
  return types.described(types.wrap_ulong(code), types.wrap_list(items));
}

export function described(code: number, value: Typed): Typed {
  return types.described(types.wrap_ulong(code), value);
}

/** A map with symbol keys, as annotations maps are. */
export function symbolMap(entries: Array<[string, Typed]>): Typed {
  const items: Typed[] = [];
  for (const [k, v] of entries) items.push(types.wrap_symbol(k), v);
  return types.Map32(items);
}

/** A map with string keys, as application-properties are. */
export function stringMap(entries: Array<[string, Typed]>): Typed {
  const items: Typed[] = [];
  for (const [k, v] of entries) items.push(types.wrap_string(k), v);
  return types.Map32(items);
}

/** Encodes values one after another. */
export function encode(values: Typed[]): Buffer {
  const w = new types.Writer();
  for (const v of values) w.write(v);
  return w.toBuffer();
}

/** Decodes one value; throws on malformed input. */
export function decodeOne(bytes: Buffer): Typed {
  return new types.Reader(bytes).read();
}

/**
 * The value inside the amqp-value section of an encoded message. rhea's reader folds a described
 * value inside a described section into one descriptor, so the value is read on its own.
 */
export function amqpValueOf(raw: Buffer): Typed | undefined {
  checkValues(raw);
  const reader = new types.Reader(raw);
  while (reader.remaining() > 0) {
    const start = reader.position;
    const section = reader.read();
    if (descriptorOf(section) !== DESCRIPTOR.amqpValue) continue;
    // Skip the section's 0x00 and its descriptor value, then read what follows.
    const descriptor = new types.Reader(raw.subarray(start + 1));
    descriptor.read();
    return new types.Reader(raw.subarray(start + 1 + descriptor.position)).read();
  }
  return undefined;
}
