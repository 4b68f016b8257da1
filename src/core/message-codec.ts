import { BrokerError } from '../spi/errors.js';
import type { Address, BodyType, CoreMessage, Properties, PropertyType, PropertyValue } from '../spi/message.js';
import { writeShortAscii } from '../util/ascii.js';

/**
 * The byte form of a CoreMessage in the store. Little-endian, versioned:
 *
 *   u8 version (=1)
 *   u16 field-presence bits (see FIELD_*), then the present optional fields in bit order
 *   fixed: str messageId, address, u8 bodyType, u8 flags (bit0 persistent), u8 priority,
 *          f64 expiration, f64 timestamp
 *   properties: u32 count, then per entry: str key, u8 tag, value (see TAG_*), u8 type hint (0 = none)
 *   body: u32 length, bytes
 *
 * str = u32 byte length + UTF-8; address = u8 routing (0 anycast, 1 multicast) + u8 temporary + str name.
 */
const VERSION = 1;
const BODY_TYPES: readonly BodyType[] = ['text', 'bytes', 'map', 'stream', 'object', 'empty'];
const PROPERTY_TYPES: readonly PropertyType[] = [
  'byte', 'short', 'int', 'long', 'float', 'double', 'char', 'string', 'boolean', 'bytes',
];
const TAG_NULL = 0, TAG_STRING = 1, TAG_NUMBER = 2, TAG_BOOL = 3, TAG_BIGINT = 4, TAG_BYTES = 5;

const OPTIONAL_FIELDS = [
  'correlationId', 'replyTo', 'type', 'contentType', 'groupId', 'groupSeq', 'userId',
  'originalDestination', 'native', 'deliveryTime',
] as const;

/** Room for the fixed fields and a few properties besides the body, so most messages need one buffer. */
const ENCODED_OVERHEAD_HINT = 256;

const FIELD_BIT = Object.fromEntries(OPTIONAL_FIELDS.map((f, i) => [f, 1 << i])) as Record<(typeof OPTIONAL_FIELDS)[number], number>;

class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(sizeHint: number) {
    this.buf = Buffer.allocUnsafe(sizeHint);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void { this.ensure(1); this.buf[this.pos++] = v; }
  u16(v: number): void { this.ensure(2); this.buf.writeUInt16LE(v, this.pos); this.pos += 2; }
  u32(v: number): void { this.ensure(4); this.buf.writeUInt32LE(v, this.pos); this.pos += 4; }
  f64(v: number): void { this.ensure(8); this.buf.writeDoubleLE(v, this.pos); this.pos += 8; }
  bytes(v: Uint8Array): void { this.u32(v.length); this.ensure(v.length); this.buf.set(v, this.pos); this.pos += v.length; }
  str(v: string): void {
    this.ensure(4 + v.length);
    const ascii = writeShortAscii(this.buf, this.pos + 4, v);
    if (ascii >= 0) {
      this.buf.writeUInt32LE(ascii, this.pos);
      this.pos += 4 + ascii;
      return;
    }
    const n = Buffer.byteLength(v);
    this.u32(n); this.ensure(n); this.buf.write(v, this.pos, n, 'utf8'); this.pos += n;
  }
  address(a: Address): void { this.u8(a.routing === 'anycast' ? 0 : 1); this.u8(a.temporary ? 1 : 0); this.str(a.name); }
  done(): Uint8Array { return this.buf.subarray(0, this.pos); }
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new BrokerError('INVALID_MESSAGE', 'stored message is truncated');
  }
  u8(): number { this.need(1); return this.buf[this.pos++]!; }
  u16(): number { this.need(2); const v = this.buf.readUInt16LE(this.pos); this.pos += 2; return v; }
  u32(): number { this.need(4); const v = this.buf.readUInt32LE(this.pos); this.pos += 4; return v; }
  f64(): number { this.need(8); const v = this.buf.readDoubleLE(this.pos); this.pos += 8; return v; }
  bytes(): Uint8Array { const n = this.u32(); this.need(n); const v = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return v; }
  str(): string { const n = this.u32(); this.need(n); const v = this.buf.toString('utf8', this.pos, this.pos + n); this.pos += n; return v; }
  address(): Address {
    const routing = this.u8() === 0 ? 'anycast' : 'multicast';
    const temporary = this.u8() === 1;
    const name = this.str();
    return temporary ? { name, routing, temporary } : { name, routing };
  }
}

function writeValue(w: Writer, v: PropertyValue): void {
  if (v === null) w.u8(TAG_NULL);
  else if (typeof v === 'string') { w.u8(TAG_STRING); w.str(v); }
  else if (typeof v === 'number') { w.u8(TAG_NUMBER); w.f64(v); }
  else if (typeof v === 'boolean') { w.u8(TAG_BOOL); w.u8(v ? 1 : 0); }
  else if (typeof v === 'bigint') { w.u8(TAG_BIGINT); w.str(v.toString()); }
  else { w.u8(TAG_BYTES); w.bytes(v); }
}

function readValue(r: Reader): PropertyValue {
  const tag = r.u8();
  switch (tag) {
    case TAG_NULL: return null;
    case TAG_STRING: return r.str();
    case TAG_NUMBER: return r.f64();
    case TAG_BOOL: return r.u8() === 1;
    case TAG_BIGINT: return BigInt(r.str());
    case TAG_BYTES: return Uint8Array.from(r.bytes());
    default: throw new BrokerError('INVALID_MESSAGE', `unknown property tag ${tag}`);
  }
}

export function encodeMessage(m: CoreMessage): Uint8Array {
  const w = new Writer(m.body.length + ENCODED_OVERHEAD_HINT);
  w.u8(VERSION);
  let bits = 0;
  for (let i = 0; i < OPTIONAL_FIELDS.length; i++) if (m[OPTIONAL_FIELDS[i]!] !== undefined) bits |= 1 << i;
  w.u16(bits);
  w.str(m.messageId);
  w.address(m.address);
  w.u8(BODY_TYPES.indexOf(m.bodyType));
  w.u8(m.persistent ? 1 : 0);
  w.u8(m.priority);
  w.f64(m.expiration);
  w.f64(m.timestamp);
  if (m.correlationId !== undefined) w.str(m.correlationId);
  if (m.replyTo !== undefined) w.address(m.replyTo);
  if (m.type !== undefined) w.str(m.type);
  if (m.contentType !== undefined) w.str(m.contentType);
  if (m.groupId !== undefined) w.str(m.groupId);
  if (m.groupSeq !== undefined) w.f64(m.groupSeq);
  if (m.userId !== undefined) w.str(m.userId);
  if (m.originalDestination !== undefined) w.address(m.originalDestination);
  if (m.native !== undefined) { w.str(m.native.protocol); w.bytes(m.native.data); }
  if (m.deliveryTime !== undefined) w.f64(m.deliveryTime);
  const keys = Object.keys(m.properties);
  w.u32(keys.length);
  for (const k of keys) {
    w.str(k);
    writeValue(w, m.properties[k]!);
    const hint = m.propertyTypes?.[k];
    w.u8(hint ? PROPERTY_TYPES.indexOf(hint) + 1 : 0);
  }
  w.bytes(m.body);
  return w.done();
}

/** The priority of an encoded message, read without decoding it (the fixed fields come first). */
/** Whether an encoded message has a delivery time (is scheduled), read without decoding it. */
export function peekScheduled(data: Uint8Array): boolean {
  return ((data[1]! | (data[2]! << 8)) & FIELD_BIT.deliveryTime) !== 0;
}

export function peekPriority(data: Uint8Array): number {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let pos = 3; // version, field bits
  pos += 4 + b.readUInt32LE(pos); // messageId
  pos += 2; // address routing, temporary
  pos += 4 + b.readUInt32LE(pos); // address name
  pos += 2; // bodyType, flags
  return b[pos]!;
}

export function decodeMessage(data: Uint8Array): CoreMessage {
  const r = new Reader(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  const version = r.u8();
  if (version !== VERSION) throw new BrokerError('INVALID_MESSAGE', `unknown stored message version ${version}`);
  const bits = r.u16();
  const has = (f: (typeof OPTIONAL_FIELDS)[number]): boolean => (bits & FIELD_BIT[f]) !== 0;
  const m: CoreMessage = {
    messageId: r.str(),
    address: r.address(),
    bodyType: BODY_TYPES[r.u8()] ?? 'bytes',
    persistent: r.u8() === 1,
    priority: r.u8(),
    expiration: r.f64(),
    timestamp: r.f64(),
    properties: {},
    body: new Uint8Array(0),
  };
  if (has('correlationId')) m.correlationId = r.str();
  if (has('replyTo')) m.replyTo = r.address();
  if (has('type')) m.type = r.str();
  if (has('contentType')) m.contentType = r.str();
  if (has('groupId')) m.groupId = r.str();
  if (has('groupSeq')) m.groupSeq = r.f64();
  if (has('userId')) m.userId = r.str();
  if (has('originalDestination')) m.originalDestination = r.address();
  if (has('native')) m.native = { protocol: r.str(), data: Uint8Array.from(r.bytes()) };
  if (has('deliveryTime')) m.deliveryTime = r.f64();
  const count = r.u32();
  const properties: Properties = {};
  let types: Record<string, PropertyType> | undefined;
  for (let i = 0; i < count; i++) {
    const k = r.str();
    properties[k] = readValue(r);
    const hint = r.u8();
    if (hint > 0) (types ??= {})[k] = PROPERTY_TYPES[hint - 1]!;
  }
  m.properties = properties;
  if (types) m.propertyTypes = types;
  // A view, not a copy: the stored bytes are immutable and recovery already holds their buffer.
  m.body = r.bytes();
  return m;
}
