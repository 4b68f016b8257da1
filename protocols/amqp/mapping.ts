import {
  BrokerError, DEFAULT_PRIORITY,
  type Address, type BodyType, type CoreMessage, type OutgoingMessage, type Properties, type PropertyType,
} from '../../src/spi/index.js';
import {
  binaryField, booleanField, DESCRIPTOR, descriptorOf, describedList, described, encode, formatUuid, listFields,
  mapEntries, numberField, parseUuid, plain, propertyOf, stringField, stringMap, symbolMap, typedOfProperty, TYPECODE,
} from './codec.js';
import { checkValues } from './encoding-check.js';
import { types, type Typed, type TypedReader } from './rhea-engine.js';

/**
 * AMQP ↔ core, as ActiveMQ 5 maps them (its AMQP JMS mapping), converting at most once:
 *
 * - Addresses: `queue://x` and `topic://x`; a bare name is a queue unless the terminus
 *   capabilities (`topic`, `queue`, `temporary-*`, sent by Qpid JMS) or the message annotation
 *   `x-opt-jms-dest` say otherwise; temporary nodes are `temp-queue://x` / `temp-topic://x`.
 * - Messages: the neutral fields are read from the sections; the whole encoded message (minus
 *   delivery-annotations, which are per hop) is kept in CoreMessage.native so that an AMQP
 *   consumer gets the sections back byte for byte. Only the header is rewritten, and only on
 *   redelivery (delivery-count). Messages from other protocols are encoded from the neutral fields.
 */

export const NATIVE_PROTOCOL = 'amqp';

// ---- addresses ----

const PREFIXES: ReadonlyArray<readonly [string, Address['routing'], boolean]> = [
  ['queue://', 'anycast', false],
  ['topic://', 'multicast', false],
  ['temp-queue://', 'anycast', true],
  ['temp-topic://', 'multicast', true],
];

/** What a node is, from terminus capabilities or the JMS destination-type annotations. */
export type NodeKind = 'queue' | 'topic' | 'temporary-queue' | 'temporary-topic';

const KIND_CAPABILITIES: readonly NodeKind[] = ['queue', 'topic', 'temporary-queue', 'temporary-topic'];

/** x-opt-jms-dest / x-opt-jms-reply-to values (Qpid JMS). */
const JMS_DEST_KINDS: readonly NodeKind[] = ['queue', 'topic', 'temporary-queue', 'temporary-topic'];

export function kindOfCapabilities(capabilities: string | string[] | null | undefined): NodeKind | undefined {
  const list = capabilities === null || capabilities === undefined ? [] : Array.isArray(capabilities) ? capabilities : [capabilities];
  return KIND_CAPABILITIES.find((k) => list.includes(k));
}

export function kindOfAddress(a: Address): NodeKind {
  if (a.temporary) return a.routing === 'anycast' ? 'temporary-queue' : 'temporary-topic';
  return a.routing === 'anycast' ? 'queue' : 'topic';
}

/** Parses an AMQP address; the prefix wins over `kind`, which wins over the queue default. */
export function parseAddress(address: string, kind?: NodeKind): Address {
  for (const [prefix, routing, temporary] of PREFIXES) {
    if (address.startsWith(prefix)) return node(address.slice(prefix.length), routing, temporary);
  }
  switch (kind) {
    case 'topic': return node(address, 'multicast', false);
    case 'temporary-queue': return node(address, 'anycast', true);
    case 'temporary-topic': return node(address, 'multicast', true);
    default: return node(address, 'anycast', false);
  }
}

function node(name: string, routing: Address['routing'], temporary: boolean): Address {
  if (name.length === 0) throw new BrokerError('INVALID_ADDRESS', 'empty destination name');
  return temporary ? { name, routing, temporary } : { name, routing };
}

/** The address an AMQP peer sees: always prefixed, so that it routes back to the same node. */
export function qualifiedAddress(a: Address): string {
  const prefix = PREFIXES.find(([, routing, temporary]) => routing === a.routing && temporary === (a.temporary === true))!;
  return prefix[0] + a.name;
}

// ---- message ids (Qpid JMS's string forms of non-string AMQP ids, reversible) ----

const ID_ULONG = 'AMQP_ULONG:';
const ID_UUID = 'AMQP_UUID:';
const ID_BINARY = 'AMQP_BINARY:';
const ID_STRING = 'AMQP_STRING:';
const ID_PREFIXES = [ID_ULONG, ID_UUID, ID_BINARY, ID_STRING];

function idString(v: Typed | undefined): string | undefined {
  const p = plain(v);
  if (p === undefined || v === undefined) return undefined;
  switch (v.type.typecode) {
    case TYPECODE.str8: case TYPECODE.str32: {
      const s = p as string;
      return ID_PREFIXES.some((x) => s.startsWith(x)) ? ID_STRING + s : s;
    }
    case TYPECODE.uuid: return ID_UUID + formatUuid(p as Buffer);
    case TYPECODE.vbin8: case TYPECODE.vbin32: return ID_BINARY + (p as Buffer).toString('hex').toUpperCase();
    case TYPECODE.ulong: case TYPECODE.smallulong: case TYPECODE.ulong0:
      return ID_ULONG + (Buffer.isBuffer(p) ? p.readBigUInt64BE(0).toString() : String(p));
    default: return undefined;
  }
}

function idTyped(id: string): Typed {
  if (id.startsWith(ID_STRING)) return types.wrap_string(id.slice(ID_STRING.length));
  if (id.startsWith(ID_ULONG)) {
    const digits = id.slice(ID_ULONG.length);
    if (/^\d{1,20}$/.test(digits) && BigInt(digits) < 2n ** 64n) {
      const n = BigInt(digits);
      if (n <= BigInt(Number.MAX_SAFE_INTEGER)) return types.wrap_ulong(Number(n));
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(n);
      return types.wrap_ulong(b);
    }
  }
  if (id.startsWith(ID_UUID)) {
    const uuid = parseUuid(id.slice(ID_UUID.length));
    if (uuid) return types.Uuid(uuid);
  }
  if (id.startsWith(ID_BINARY)) {
    const hex = id.slice(ID_BINARY.length);
    if (/^([0-9a-fA-F]{2})*$/.test(hex)) return types.wrap_binary(Buffer.from(hex, 'hex'));
  }
  return types.wrap_string(id);
}

// ---- inbound ----

/** x-opt-jms-msg-type values (Qpid JMS / ActiveMQ). */
const JMS_MSG_TYPE: Record<BodyType, number> = { empty: 0, object: 1, map: 2, bytes: 3, stream: 4, text: 5 };
const BODY_OF_JMS_MSG_TYPE: readonly BodyType[] = ['empty', 'object', 'map', 'bytes', 'stream', 'text'];
const SERIALIZED_OBJECT = 'application/x-java-serialized-object';

interface Sections {
  header?: Typed;
  annotations?: Typed;
  properties?: Typed;
  applicationProperties?: Typed;
  /** The data sections' bytes, the amqp-sequence lists, or the one amqp-value. */
  body: { kind: 'none' } | { kind: 'data'; chunks: Buffer[] } | { kind: 'sequence' } | { kind: 'value'; value: Typed };
  /** Byte range of all body sections. */
  bodyStart: number;
  bodyEnd: number;
  /** Byte range of the delivery-annotations section, dropped from what is kept. */
  deliveryAnnotations?: [number, number];
}

function readSections(raw: Buffer): Sections {
  checkValues(raw);
  const reader: TypedReader = new types.Reader(raw);
  const s: Sections = { body: { kind: 'none' }, bodyStart: -1, bodyEnd: -1 };
  while (reader.remaining() > 0) {
    const start = reader.position;
    const section = reader.read();
    const end = reader.position;
    const code = descriptorOf(section);
    switch (code) {
      case DESCRIPTOR.header: s.header = section; break;
      case DESCRIPTOR.deliveryAnnotations: s.deliveryAnnotations = [start, end]; break;
      case DESCRIPTOR.messageAnnotations: s.annotations = section; break;
      case DESCRIPTOR.properties: s.properties = section; break;
      case DESCRIPTOR.applicationProperties: s.applicationProperties = section; break;
      case DESCRIPTOR.footer: break;
      case DESCRIPTOR.data: case DESCRIPTOR.amqpSequence: case DESCRIPTOR.amqpValue:
        addBodySection(s, code, section);
        if (s.bodyStart < 0) s.bodyStart = start;
        s.bodyEnd = end;
        break;
      default:
        throw new BrokerError('INVALID_MESSAGE', 'unknown message section');
    }
  }
  return s;
}

function addBodySection(s: Sections, code: number, section: Typed): void {
  const kind = code === DESCRIPTOR.data ? 'data' : code === DESCRIPTOR.amqpSequence ? 'sequence' : 'value';
  if (s.body.kind !== 'none' && (s.body.kind !== kind || kind === 'value')) {
    throw new BrokerError('INVALID_MESSAGE', 'a message body is data sections, amqp-sequence sections or one amqp-value');
  }
  if (kind === 'data') {
    const chunk = binaryField(section);
    if (!chunk) throw new BrokerError('INVALID_MESSAGE', 'a data section holds binary');
    if (s.body.kind === 'data') s.body.chunks.push(chunk);
    else s.body = { kind: 'data', chunks: [chunk] };
  } else if (kind === 'sequence') {
    s.body = { kind: 'sequence' };
  } else {
    s.body = { kind: 'value', value: section };
  }
}

function annotation(annotations: Typed | undefined, key: string): Typed | undefined {
  if (!annotations) return undefined;
  for (const [k, v] of mapEntries(annotations)) if (k.value === key) return v;
  return undefined;
}

function jmsKind(annotations: Typed | undefined, key: string): NodeKind | undefined {
  const n = numberField(annotation(annotations, key));
  return n === undefined ? undefined : JMS_DEST_KINDS[n];
}

function bodyOf(s: Sections, raw: Buffer, contentType: string | undefined, jmsType: number | undefined): { body: Uint8Array; bodyType: BodyType } {
  const announced = jmsType === undefined ? undefined : BODY_OF_JMS_MSG_TYPE[jmsType];
  const encoded = (): Uint8Array => raw.subarray(s.bodyStart, s.bodyEnd);
  switch (s.body.kind) {
    case 'none':
      return { body: new Uint8Array(0), bodyType: 'empty' };
    case 'data': {
      const bytes = s.body.chunks.length === 1 ? s.body.chunks[0]! : Buffer.concat(s.body.chunks);
      if (announced === 'text' || announced === 'object' || announced === 'empty') return { body: bytes, bodyType: announced };
      if (contentType === SERIALIZED_OBJECT) return { body: bytes, bodyType: 'object' };
      if (contentType !== undefined && /^text\/|^application\/(json|xml)\b/.test(contentType)) return { body: bytes, bodyType: 'text' };
      return { body: bytes, bodyType: 'bytes' };
    }
    case 'sequence':
      return { body: encoded(), bodyType: 'stream' };
    case 'value': {
      const inner = s.body.value;
      const code = inner.type.typecode;
      if (code === TYPECODE.str8 || code === TYPECODE.str32) return { body: Buffer.from(inner.value as string, 'utf8'), bodyType: 'text' };
      if (code === TYPECODE.vbin8 || code === TYPECODE.vbin32) return { body: inner.value as Buffer, bodyType: 'bytes' };
      if (code === TYPECODE.null) return { body: new Uint8Array(0), bodyType: announced === 'text' ? 'text' : 'empty' };
      if (code === TYPECODE.map8 || code === TYPECODE.map32) return { body: encoded(), bodyType: 'map' };
      if (code === TYPECODE.list0 || code === TYPECODE.list8 || code === TYPECODE.list32) return { body: encoded(), bodyType: 'stream' };
      return { body: encoded(), bodyType: 'object' };
    }
  }
}

function applicationProperties(section: Typed | undefined): { properties: Properties; propertyTypes?: Record<string, PropertyType> } {
  const properties: Properties = {};
  if (!section) return { properties };
  let propertyTypes: Record<string, PropertyType> | undefined;
  for (const [k, v] of mapEntries(section)) {
    const key = plain(k);
    if (typeof key !== 'string') continue;
    const p = propertyOf(v);
    if (!p) continue;
    properties[key] = p.value;
    if (p.type) (propertyTypes ??= {})[key] = p.type;
  }
  return propertyTypes ? { properties, propertyTypes } : { properties };
}

export interface DecodedMessage {
  message: OutgoingMessage;
  /** properties.to, with the node kind the annotations give it (for the anonymous relay). */
  to?: { address: string; kind?: NodeKind };
}

/**
 * Decodes an AMQP message (the bare message and its annotations) into the neutral form.
 * Throws BrokerError INVALID_MESSAGE (or a codec error) on malformed input.
 */
export function decodeMessage(raw: Buffer, receivedAtMs: number): DecodedMessage {
  const s = readSections(raw);
  const header = s.header ? listFields(s.header) : [];
  const props = s.properties ? listFields(s.properties) : [];
  const contentType = stringField(props[6]);
  const { body, bodyType } = bodyOf(s, raw, contentType, numberField(annotation(s.annotations, 'x-opt-jms-msg-type')));
  const ttl = numberField(header[2]);
  const absoluteExpiry = numberField(props[8]);
  const priority = numberField(header[1]);
  const message: OutgoingMessage = {
    body,
    bodyType,
    ...applicationProperties(s.applicationProperties),
    persistent: booleanField(header[0]) === true,
    priority: priority ?? DEFAULT_PRIORITY,
    expiration: absoluteExpiry !== undefined && absoluteExpiry > 0 ? absoluteExpiry : ttl !== undefined && ttl > 0 ? receivedAtMs + ttl : 0,
    timestamp: numberField(props[9]) ?? 0,
    native: {
      protocol: NATIVE_PROTOCOL,
      data: s.deliveryAnnotations ? Buffer.concat([raw.subarray(0, s.deliveryAnnotations[0]), raw.subarray(s.deliveryAnnotations[1])]) : raw,
    },
  };
  const messageId = idString(props[0]);
  if (messageId !== undefined) message.messageId = messageId;
  const userId = binaryField(props[1]);
  if (userId) message.userId = userId.toString('utf8');
  const subject = stringField(props[3]);
  if (subject !== undefined) message.type = subject;
  const replyTo = stringField(props[4]);
  if (replyTo) message.replyTo = parseAddress(replyTo, jmsKind(s.annotations, 'x-opt-jms-reply-to'));
  const correlationId = idString(props[5]);
  if (correlationId !== undefined) message.correlationId = correlationId;
  if (contentType !== undefined) message.contentType = contentType;
  const groupId = stringField(props[10]);
  if (groupId !== undefined) message.groupId = groupId;
  const groupSeq = numberField(props[11]);
  if (groupSeq !== undefined) message.groupSeq = groupSeq;
  const to = stringField(props[2]);
  const toKind = jmsKind(s.annotations, 'x-opt-jms-dest');
  return to ? { message, to: { address: to, ...(toKind ? { kind: toKind } : {}) } } : { message };
}

// ---- outbound ----

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** The header for a delivery: the original fields with delivery-count set, first-acquirer cleared. */
function redeliveryHeader(original: Typed | undefined, deliveryCount: number): Typed {
  const f = original ? listFields(original) : [];
  return describedList(DESCRIPTOR.header, [f[0], f[1], f[2], types.wrap_boolean(false), types.wrap_uint(deliveryCount - 1)]);
}

/** A native AMQP message with its header rewritten for a redelivery. */
function redelivered(data: Buffer, deliveryCount: number): Buffer {
  const reader = new types.Reader(data);
  const first = reader.read();
  const hasHeader = descriptorOf(first) === DESCRIPTOR.header;
  const rest = hasHeader ? data.subarray(reader.position) : data;
  return Buffer.concat([encode([redeliveryHeader(hasHeader ? first : undefined, deliveryCount)]), rest]);
}

function timestamp(ms: number): Typed {
  return types.Timestamp(ms);
}

function neutralBody(m: CoreMessage): Typed[] {
  const bytes = asBuffer(m.body);
  switch (m.bodyType) {
    case 'text': return [described(DESCRIPTOR.amqpValue, types.wrap_string(bytes.toString('utf8')))];
    case 'empty': return [described(DESCRIPTOR.amqpValue, types.Null())];
    default: return [described(DESCRIPTOR.data, types.wrap_binary(bytes))];
  }
}

/** An AMQP message from the neutral fields of a message another protocol produced. */
function fromNeutral(m: CoreMessage, deliveryCount: number, nowMs: number): Buffer {
  const sections: Typed[] = [];
  const ttl = m.expiration > 0 ? Math.max(1, m.expiration - nowMs) : undefined;
  sections.push(describedList(DESCRIPTOR.header, [
    m.persistent ? types.wrap_boolean(true) : undefined,
    m.priority !== DEFAULT_PRIORITY ? types.Ubyte(m.priority) : undefined,
    ttl !== undefined ? types.wrap_uint(Math.min(ttl, 0xffff_ffff)) : undefined,
    undefined,
    deliveryCount > 1 ? types.wrap_uint(deliveryCount - 1) : undefined,
  ]));
  const annotations: Array<[string, Typed]> = [
    ['x-opt-jms-msg-type', types.Byte(JMS_MSG_TYPE[m.bodyType])],
    ['x-opt-jms-dest', types.Byte(JMS_DEST_KINDS.indexOf(kindOfAddress(m.address)))],
  ];
  if (m.replyTo) annotations.push(['x-opt-jms-reply-to', types.Byte(JMS_DEST_KINDS.indexOf(kindOfAddress(m.replyTo)))]);
  sections.push(described(DESCRIPTOR.messageAnnotations, symbolMap(annotations)));
  sections.push(describedList(DESCRIPTOR.properties, [
    idTyped(m.messageId),
    m.userId !== undefined ? types.wrap_binary(Buffer.from(m.userId, 'utf8')) : undefined,
    types.wrap_string(qualifiedAddress(m.address)),
    m.type !== undefined ? types.wrap_string(m.type) : undefined,
    m.replyTo ? types.wrap_string(qualifiedAddress(m.replyTo)) : undefined,
    m.correlationId !== undefined ? idTyped(m.correlationId) : undefined,
    m.contentType !== undefined ? types.wrap_symbol(m.contentType) : m.bodyType === 'object' ? types.wrap_symbol(SERIALIZED_OBJECT) : undefined,
    undefined,
    m.expiration > 0 ? timestamp(m.expiration) : undefined,
    m.timestamp > 0 ? timestamp(m.timestamp) : undefined,
    m.groupId !== undefined ? types.wrap_string(m.groupId) : undefined,
    m.groupSeq !== undefined && Number.isInteger(m.groupSeq) && m.groupSeq >= 0 ? types.wrap_uint(m.groupSeq) : undefined,
  ]));
  const keys = Object.keys(m.properties);
  if (keys.length > 0) {
    const entries = keys.map((k): [string, Typed] => [k, typedOfProperty(m.properties[k]!, m.propertyTypes?.[k])]);
    sections.push(described(DESCRIPTOR.applicationProperties, stringMap(entries)));
  }
  sections.push(...neutralBody(m));
  return encode(sections);
}

/**
 * The encoded AMQP message for a delivery: the producer's own bytes when it spoke AMQP (with
 * the header rewritten on redelivery), else built from the neutral fields.
 */
export function encodeMessage(m: CoreMessage, deliveryCount: number, nowMs = Date.now()): Buffer {
  if (m.native?.protocol === NATIVE_PROTOCOL) {
    const data = asBuffer(m.native.data);
    return deliveryCount > 1 ? redelivered(data, deliveryCount) : data;
  }
  return fromNeutral(m, deliveryCount, nowMs);
}
