import { isAscii } from 'node:buffer';
import {
  BrokerError, DEFAULT_PRIORITY, type Address, type BodyType, type CoreMessage, type OutgoingMessage, type Properties,
  type PropertyType, type PropertyValue,
} from '../../src/spi/index.js';
import { CodecError } from './codec/codec-error.js';
import type { Destination, DestinationTypeCode, Message, MessageTypeCode } from './codec/commands.js';
import { longToNumber } from './codec/long.js';
import { decodeTextContent, encodeTextContent, uncompressedContent } from './codec/message-body.js';
import { decodePrimitiveMap, encodePrimitiveMap, type MapEntry, type TypedValue } from './codec/primitive-map.js';
import { T } from './codec/type-codes.js';
import { messageIdString } from './ids.js';

/**
 * JMS as OpenWire carries it ↔ the core's neutral message and addresses. Converted once on the
 * way in; OpenWire consumers get the producer's own encoding back (CoreMessage.native) with the
 * fields the core may change (destination, dead-letter origin, expiry, priority, properties)
 * laid over it.
 */

export const NATIVE_PROTOCOL = 'openwire';

/** Temporary destination names: OpenWire clients name their own; the core names its own. */
export interface TempNames {
  /** The core address of a temporary destination an OpenWire client created, if it exists. */
  coreAddress(openWireName: string): Address | undefined;
  /** The OpenWire name of a core temporary address an OpenWire client created. */
  openWireName(coreName: string): string | undefined;
}

export interface MappingLimits {
  maxMessageBytes: number;
  maxPropertyEntries: number;
}

// ---------------------------------------------------------------- destinations

const PREFIXES: Array<[string, DestinationTypeCode]> = [
  ['queue://', T.ACTIVEMQ_QUEUE], ['topic://', T.ACTIVEMQ_TOPIC],
  ['temp-queue://', T.ACTIVEMQ_TEMP_QUEUE], ['temp-topic://', T.ACTIVEMQ_TEMP_TOPIC],
];

/** The addresses a destination names: one, or several for a composite (`a,topic://b`). */
export function destinationAddresses(dest: Destination | null, temps: TempNames): Address[] {
  if (!dest?.physicalName) throw new BrokerError('INVALID_ADDRESS', 'no destination');
  return dest.physicalName.split(',').map((part) => {
    let typeCode: DestinationTypeCode = dest.typeCode;
    let name = part.trim();
    for (const [prefix, code] of PREFIXES) {
      if (name.startsWith(prefix)) {
        typeCode = code;
        name = name.slice(prefix.length);
      }
    }
    return partAddress(typeCode, name, temps);
  });
}

function partAddress(typeCode: DestinationTypeCode, name: string, temps: TempNames): Address {
  switch (typeCode) {
    case T.ACTIVEMQ_QUEUE: return { name, routing: 'anycast' };
    case T.ACTIVEMQ_TOPIC: return { name, routing: 'multicast' };
    case T.ACTIVEMQ_TEMP_QUEUE: return temps.coreAddress(name) ?? { name, routing: 'anycast', temporary: true };
    case T.ACTIVEMQ_TEMP_TOPIC: return temps.coreAddress(name) ?? { name, routing: 'multicast', temporary: true };
  }
}

export function addressDestination(a: Address, temps: TempNames): Destination {
  if (a.temporary) {
    return {
      typeCode: a.routing === 'anycast' ? T.ACTIVEMQ_TEMP_QUEUE : T.ACTIVEMQ_TEMP_TOPIC,
      physicalName: temps.openWireName(a.name) ?? a.name,
    };
  }
  return { typeCode: a.routing === 'anycast' ? T.ACTIVEMQ_QUEUE : T.ACTIVEMQ_TOPIC, physicalName: a.name };
}

export const isTopicDestination = (d: Destination | null): boolean =>
  d?.typeCode === T.ACTIVEMQ_TOPIC || d?.typeCode === T.ACTIVEMQ_TEMP_TOPIC;

// ---------------------------------------------------------------- properties

function neutralProperty(v: TypedValue): { value: PropertyValue; type?: PropertyType } | undefined {
  switch (v.t) {
    case 'null': return { value: null };
    case 'boolean': return { value: v.v, type: 'boolean' };
    case 'byte': return { value: v.v, type: 'byte' };
    case 'short': return { value: v.v, type: 'short' };
    case 'int': return { value: v.v, type: 'int' };
    case 'long': return { value: v.v, type: 'long' };
    case 'float': return { value: v.v, type: 'float' };
    case 'double': return { value: v.v, type: 'double' };
    case 'char': return { value: String.fromCharCode(v.v), type: 'char' };
    case 'string': return { value: v.v, type: 'string' };
    case 'bytes': return { value: v.v, type: 'bytes' };
    // Nested maps and lists have no neutral form; OpenWire consumers still get them (native).
    case 'map': case 'list': return undefined;
  }
}

function typedValue(value: PropertyValue, type: PropertyType | undefined): TypedValue {
  if (value === null) return { t: 'null' };
  if (typeof value === 'boolean') return { t: 'boolean', v: value };
  if (typeof value === 'string') {
    return type === 'char' && value.length === 1 ? { t: 'char', v: value.charCodeAt(0) } : { t: 'string', v: value };
  }
  if (value instanceof Uint8Array) return { t: 'bytes', v: value };
  if (typeof value === 'bigint') return { t: 'long', v: BigInt.asIntN(64, value) };
  switch (type) {
    case 'byte': return { t: 'byte', v: value };
    case 'short': return { t: 'short', v: value };
    case 'int': return { t: 'int', v: value };
    case 'long': return Number.isSafeInteger(value) ? { t: 'long', v: value } : { t: 'double', v: value };
    case 'float': return { t: 'float', v: value };
    case 'double': return { t: 'double', v: value };
    default:
      if (!Number.isInteger(value)) return { t: 'double', v: value };
      if (value >= -2147483648 && value <= 2147483647) return { t: 'int', v: value };
      return Number.isSafeInteger(value) ? { t: 'long', v: value } : { t: 'double', v: value };
  }
}

function neutralProperties(entries: readonly MapEntry[]): { properties: Properties; types: Record<string, PropertyType> } {
  const properties: Properties = {};
  const types: Record<string, PropertyType> = {};
  for (const [key, v] of entries) {
    const p = neutralProperty(v);
    if (!p) continue;
    properties[key] = p.value;
    if (p.type) types[key] = p.type;
  }
  return { properties, types };
}

// ---------------------------------------------------------------- inbound

const BODY_TYPES: Record<number, BodyType> = {
  [T.ACTIVEMQ_MESSAGE]: 'empty',
  [T.ACTIVEMQ_TEXT_MESSAGE]: 'text',
  [T.ACTIVEMQ_BYTES_MESSAGE]: 'bytes',
  [T.ACTIVEMQ_MAP_MESSAGE]: 'map',
  [T.ACTIVEMQ_STREAM_MESSAGE]: 'stream',
  [T.ACTIVEMQ_OBJECT_MESSAGE]: 'object',
  [T.ACTIVEMQ_BLOB_MESSAGE]: 'empty',
};

const EMPTY = new Uint8Array(0);

/** TextMessage content → UTF-8 (ASCII is the same in both: no conversion, not even to a string). */
function textBody(raw: Uint8Array): Uint8Array {
  const b = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
  if (b.length >= 4 && b.readInt32BE(0) === b.length - 4 && isAscii(b.subarray(4))) return raw.subarray(4);
  return Buffer.from(decodeTextContent(raw), 'utf8');
}

/** Where the fixed-size fields a broker sets end in native bytes (to patch rather than re-encode). */
export interface PatchOffsets {
  /** brokerSequenceId is the last 8 bytes of the message id. */
  readonly messageId: number;
  readonly expiration: number;
  readonly priority: number;
  readonly redeliveryCounter: number;
  readonly brokerOutTime: number;
}

/** What is kept, per message, about its native bytes (small: it lives as long as the message). */
export interface NativeInfo {
  /** How many neutral properties the message had on the way in (to notice core additions). */
  readonly propertyCount: number;
  readonly destination: Destination | null;
  /** Undefined when the bytes cannot simply be patched (no message id, a dead-letter origin). */
  readonly patch: PatchOffsets | undefined;
}

/**
 * CoreMessage.native of a message an OpenWire producer sent to this broker: its canonical
 * bytes, and what decoding them showed (the core keeps this object with the message; a message
 * recovered from the store has a plain one, whose bytes are decoded again when dispatched).
 */
export class OpenWireNative {
  readonly protocol = NATIVE_PROTOCOL;

  constructor(
    readonly data: Uint8Array,
    readonly info: NativeInfo,
  ) {}
}

export function nativeInfo(m: Message, fieldEnds: Record<string, number>, propertyCount: number): NativeInfo {
  const e = fieldEnds;
  const patchable = m.messageId !== null && m.originalDestination === null && e.jmsXGroupFirstForConsumer !== undefined;
  return {
    propertyCount,
    destination: m.destination,
    patch: patchable
      ? { messageId: e.messageId!, expiration: e.expiration!, priority: e.priority!, redeliveryCounter: e.redeliveryCounter!, brokerOutTime: e.brokerOutTime! }
      : undefined,
  };
}

/**
 * An OpenWire message → the core's neutral message. `native` is its canonical encoding (loose,
 * uncached, v12), kept as CoreMessage.native. Throws BrokerError INVALID_MESSAGE / MESSAGE_TOO_LARGE.
 */
export function toOutgoing(
  m: Message, native: Uint8Array, fieldEnds: Record<string, number>, temps: TempNames, limits: MappingLimits,
): OutgoingMessage {
  let body: Uint8Array = EMPTY;
  let entries: MapEntry[] = [];
  try {
    if (m.content && m.content.length > 0) {
      const raw = uncompressedContent(m.typeCode, m.content, m.compressed, limits.maxMessageBytes);
      body = m.typeCode === T.ACTIVEMQ_TEXT_MESSAGE ? textBody(raw) : raw;
    }
    if (m.marshalledProperties) entries = decodePrimitiveMap(m.marshalledProperties, { maxEntries: limits.maxPropertyEntries });
  } catch (e) {
    if (e instanceof CodecError) throw new BrokerError('INVALID_MESSAGE', e.message);
    throw e;
  }
  if (body.length > limits.maxMessageBytes) {
    throw new BrokerError('MESSAGE_TOO_LARGE', `message body of ${body.length} bytes exceeds ${limits.maxMessageBytes}`);
  }
  const { properties, types } = neutralProperties(entries);
  const outgoing: OutgoingMessage = {
    messageId: messageIdString(m.messageId),
    body,
    bodyType: BODY_TYPES[m.typeCode] ?? 'bytes',
    properties,
    propertyTypes: types,
    persistent: m.persistent,
    priority: m.priority,
    expiration: longToNumber(m.expiration),
    timestamp: longToNumber(m.timestamp),
    native: new OpenWireNative(native, nativeInfo(m, fieldEnds, Object.keys(properties).length)),
  };
  if (m.correlationId !== null) outgoing.correlationId = m.correlationId;
  if (m.type !== null) outgoing.type = m.type;
  if (m.groupID !== null) {
    outgoing.groupId = m.groupID;
    outgoing.groupSeq = m.groupSequence;
  }
  if (m.userID !== null) outgoing.userId = m.userID;
  if (m.replyTo?.physicalName) outgoing.replyTo = destinationAddresses(m.replyTo, temps)[0]!;
  return outgoing;
}

// ---------------------------------------------------------------- outbound

const MESSAGE_TYPES: Record<BodyType, MessageTypeCode> = {
  empty: T.ACTIVEMQ_MESSAGE,
  text: T.ACTIVEMQ_TEXT_MESSAGE,
  bytes: T.ACTIVEMQ_BYTES_MESSAGE,
  map: T.ACTIVEMQ_MAP_MESSAGE,
  stream: T.ACTIVEMQ_STREAM_MESSAGE,
  object: T.ACTIVEMQ_OBJECT_MESSAGE,
};

function encodeProperties(properties: Properties, types: Record<string, PropertyType> | undefined, base: readonly MapEntry[]): Uint8Array | null {
  const entries: MapEntry[] = [...base];
  const have = new Set(base.map(([k]) => k));
  for (const [k, v] of Object.entries(properties)) if (!have.has(k)) entries.push([k, typedValue(v, types?.[k])]);
  return entries.length > 0 ? encodePrimitiveMap(entries) : null;
}

/** A message from another protocol, as the ActiveMQ client expects it (ActiveMQ's own mapping). */
export function foreignMessage(c: CoreMessage, temps: TempNames): Message {
  const typeCode = MESSAGE_TYPES[c.bodyType];
  let content: Uint8Array | null = null;
  if (typeCode === T.ACTIVEMQ_TEXT_MESSAGE) content = encodeTextContent(Buffer.from(c.body).toString('utf8'));
  else if (c.body.length > 0) content = c.body;
  return {
    typeCode, commandId: 0, responseRequired: false,
    producerId: null, destination: addressDestination(c.address, temps), transactionId: null,
    originalDestination: c.originalDestination ? addressDestination(c.originalDestination, temps) : null,
    messageId: null, originalTransactionId: null,
    groupID: c.groupId ?? null, groupSequence: c.groupSeq ?? 0, correlationId: c.correlationId ?? null,
    persistent: c.persistent, expiration: c.expiration, priority: c.priority ?? DEFAULT_PRIORITY,
    replyTo: c.replyTo ? addressDestination(c.replyTo, temps) : null, timestamp: c.timestamp, type: c.type ?? null,
    content, marshalledProperties: encodeProperties(c.properties, c.propertyTypes, []), dataStructure: null,
    targetConsumerId: null, compressed: false, redeliveryCounter: 0, brokerPath: null, arrival: 0,
    userID: c.userId ?? null, recievedByDFBridge: false, droppable: false, cluster: null,
    brokerInTime: c.timestamp, brokerOutTime: 0, jmsXGroupFirstForConsumer: false,
  };
}

/**
 * An OpenWire producer's message with what the core may have changed since laid over it:
 * the address (dead-letter queue), original destination, expiry, priority, added properties.
 */
export function nativeMessage(c: CoreMessage, m: Message, info: NativeInfo, temps: TempNames): Message {
  const out: Message = {
    ...m,
    destination: addressDestination(c.address, temps),
    expiration: c.expiration,
    priority: c.priority,
  };
  if (c.originalDestination) out.originalDestination = addressDestination(c.originalDestination, temps);
  if (Object.keys(c.properties).length !== info.propertyCount) {
    const base = m.marshalledProperties ? decodePrimitiveMap(m.marshalledProperties) : [];
    out.marshalledProperties = encodeProperties(c.properties, c.propertyTypes, base);
  }
  return out;
}

/**
 * ActiveMQ's Message.getSize() for a received message: what the client counts against its
 * producer window, and so what a ProducerAck must give back.
 */
export function producerWindowSize(m: Message): number {
  return 1024 + (m.marshalledProperties?.length ?? 0) + (m.content?.length ?? 0);
}
