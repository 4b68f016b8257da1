import { isUtf8 } from 'node:buffer';
import type { IPublishPacket, QoS, UserProperties } from 'mqtt-packet';
import { DEFAULT_PRIORITY, type CoreMessage, type OutgoingMessage, type Properties, type PropertyValue } from '../../src/spi/index.js';
import { coreToMqttName, mqttToCoreName } from './topic-mapping.js';

/**
 * PUBLISH ↔ CoreMessage, converted once each way.
 *
 * In:  payload → body (bodyType `bytes`, or `text` when Payload Format Indicator = 1); QoS 1/2 →
 *      persistent, QoS 0 → non-persistent; the QoS → property `ActiveMQ.MQTT.QoS` and the
 *      retain flag → `ActiveMQ.Retain` (ActiveMQ's names); Message Expiry Interval → absolute
 *      `expiration` (0 or absent: never); Content Type → contentType; Response Topic → replyTo
 *      (a topic, name mapped); Correlation Data → correlationId (see correlationIdOf); User
 *      Properties → string properties (a repeated name keeps its first value as the property
 *      and all values in `native`).
 * Out: the QoS is the publisher's (`ActiveMQ.MQTT.QoS`, else QoS 2 for a persistent message from
 *      another protocol and QoS 0 for a non-persistent one), capped by the subscription; string,
 *      number and boolean properties become User Properties; the rest mirrors the way in, with
 *      the expiry interval counted down [MQTT-3.3.2-6].
 */

export const QOS_PROPERTY = 'ActiveMQ.MQTT.QoS';
export const RETAIN_PROPERTY = 'ActiveMQ.Retain';
const RESERVED = new Set([QOS_PROPERTY, RETAIN_PROPERTY]);
export const NATIVE_PROTOCOL = 'mqtt';

/** The fields of an application message as MQTT carries it (PUBLISH, will, retained). */
export interface PublishFields {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties?: PublishProperties;
}

export type PublishProperties = NonNullable<IPublishPacket['properties']>;

/** What `native` holds for messages from MQTT: the publishing client and repeated user properties. */
interface NativeMqtt {
  c: string;
  u?: UserProperties;
}

/** Sets a client-named property; `__proto__` (an accessor on Object.prototype) is defined as plain data. */
function setProperty(target: Properties, name: string, value: PropertyValue): void {
  if (name === '__proto__') Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  else target[name] = value;
}

/** The `native` of messages from a publisher without repeated user properties, reused (it is never mutated). */
const nativeCache = new Map<string, NonNullable<OutgoingMessage['native']>>();
const NATIVE_CACHE_LIMIT = 4096;

function nativeOfPublisher(publisherClientId: string, userProperties: UserProperties | undefined): OutgoingMessage['native'] {
  if (userProperties) {
    const native: NativeMqtt = { c: publisherClientId, u: userProperties };
    return { protocol: NATIVE_PROTOCOL, data: Buffer.from(JSON.stringify(native)) };
  }
  let cached = nativeCache.get(publisherClientId);
  if (!cached) {
    if (nativeCache.size >= NATIVE_CACHE_LIMIT) nativeCache.clear();
    const native: NativeMqtt = { c: publisherClientId };
    nativeCache.set(publisherClientId, (cached = { protocol: NATIVE_PROTOCOL, data: Buffer.from(JSON.stringify(native)) }));
  }
  return cached;
}

export function toCoreMessage(p: PublishFields, publisherClientId: string, now: number): OutgoingMessage {
  const props = p.properties;
  const properties: Properties = {};
  let repeated: UserProperties | undefined;
  if (props?.userProperties) {
    for (const [name, value] of Object.entries(props.userProperties)) {
      if (Array.isArray(value)) repeated = props.userProperties;
      setProperty(properties, name, Array.isArray(value) ? value[0]! : value);
    }
  }
  properties[QOS_PROPERTY] = p.qos;
  if (p.retain) properties[RETAIN_PROPERTY] = true;
  const expiry = props?.messageExpiryInterval;
  const message: OutgoingMessage = {
    body: p.payload,
    bodyType: props?.payloadFormatIndicator ? 'text' : 'bytes',
    properties,
    persistent: p.qos > 0,
    priority: DEFAULT_PRIORITY,
    expiration: expiry ? now + expiry * 1000 : 0,
    native: nativeOfPublisher(publisherClientId, repeated),
  };
  if (props?.contentType !== undefined) message.contentType = props.contentType;
  if (props?.responseTopic !== undefined) message.replyTo = { name: mqttToCoreName(props.responseTopic), routing: 'multicast' };
  if (props?.correlationData !== undefined) message.correlationId = correlationIdOf(props.correlationData);
  return message;
}

function nativeOf(m: CoreMessage): NativeMqtt | undefined {
  if (m.native?.protocol !== NATIVE_PROTOCOL) return undefined;
  try {
    return JSON.parse(Buffer.from(m.native.data.buffer, m.native.data.byteOffset, m.native.data.byteLength).toString('utf8')) as NativeMqtt;
  } catch {
    return undefined;
  }
}

/** The MQTT client that published a message, if it came from MQTT (for No Local). */
export function publisherOf(m: CoreMessage): string | undefined {
  return nativeOf(m)?.c;
}

/** The QoS a message was published with (its ceiling on the way out). */
export function publishedQos(m: CoreMessage): QoS {
  const q = m.properties[QOS_PROPERTY];
  if (q === 0 || q === 1 || q === 2) return q;
  return m.persistent ? 2 : 0;
}

export function wasRetained(m: CoreMessage): boolean {
  return m.properties[RETAIN_PROPERTY] === true;
}

export function mqttTopicOf(m: CoreMessage): string {
  return coreToMqttName(m.address.name);
}

/** MQTT 5 PUBLISH properties for a message going out, or undefined when it has none. */
export function publishPropertiesOf(m: CoreMessage, now: number): PublishProperties | undefined {
  const out: PublishProperties = {};
  let any = false;
  if (m.bodyType === 'text') out.payloadFormatIndicator = any = true;
  if (m.expiration > 0) {
    out.messageExpiryInterval = Math.max(1, Math.ceil((m.expiration - now) / 1000));
    any = true;
  }
  if (m.contentType !== undefined) {
    out.contentType = m.contentType;
    any = true;
  }
  if (m.replyTo?.routing === 'multicast') {
    out.responseTopic = coreToMqttName(m.replyTo.name);
    any = true;
  }
  if (m.correlationId !== undefined) {
    out.correlationData = correlationDataOf(m.correlationId);
    any = true;
  }
  const user = userPropertiesOf(m);
  if (user) {
    out.userProperties = user;
    any = true;
  }
  return any ? out : undefined;
}

function userPropertiesOf(m: CoreMessage): UserProperties | undefined {
  const repeated = nativeOf(m)?.u;
  if (repeated) return repeated;
  let out: UserProperties | undefined;
  for (const name of Object.keys(m.properties)) {
    if (RESERVED.has(name)) continue;
    const v = m.properties[name];
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean' && typeof v !== 'bigint') continue;
    out ??= Object.create(null) as UserProperties;
    out[name] = String(v);
  }
  return out;
}

/**
 * Correlation Data is binary; correlationId a string. Bytes that are UTF-8 text become that text;
 * other bytes, and text that itself starts with the prefix, become `mqtt-binary:` + base64. The
 * rule is a bijection, so MQTT → core → MQTT returns the same bytes, and JMS/STOMP see readable
 * ids whenever the client used text.
 */
const BINARY_PREFIX = 'mqtt-binary:';

export function correlationIdOf(data: Uint8Array): string {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (isUtf8(bytes)) {
    const text = bytes.toString('utf8');
    if (!text.startsWith(BINARY_PREFIX)) return text;
  }
  return BINARY_PREFIX + bytes.toString('base64');
}

export function correlationDataOf(id: string): Buffer {
  if (id.startsWith(BINARY_PREFIX)) {
    const encoded = id.slice(BINARY_PREFIX.length);
    const bytes = Buffer.from(encoded, 'base64');
    if (bytes.toString('base64') === encoded) return bytes;
  }
  return Buffer.from(id, 'utf8');
}

// ---- stored application messages (retained messages, wills, in-flight retained deliveries) ----

/** An application message kept in core.state: the MQTT fields, absolute expiry, its id and publisher. */
export interface StoredPublish extends PublishFields {
  id: string;
  publisher: string;
  timestamp: number;
  /** Absolute expiry, ms since the epoch; 0 = never. */
  expiresAt: number;
}

/**
 * Record format (little-endian): u32 header length, UTF-8 JSON header, then the payload bytes.
 * The header holds every field but the payload; Correlation Data is base64 in it.
 */
export function encodeRecord(header: object, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.allocUnsafe(4 + json.length + payload.length);
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  out.set(payload, 4 + json.length);
  return out;
}

export function decodeRecord<T>(bytes: Uint8Array): { header: T; payload: Buffer } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = buf.readUInt32LE(0);
  const header = JSON.parse(buf.toString('utf8', 4, 4 + length)) as T;
  return { header, payload: buf.subarray(4 + length) };
}

type StoredHeader = Omit<StoredPublish, 'payload' | 'properties'> & { properties?: Record<string, unknown> };

export function encodeStoredPublish(s: StoredPublish, extra: object = {}): Uint8Array {
  const { payload, properties, ...rest } = s;
  const header: StoredHeader & object = { ...rest, ...extra };
  if (properties) {
    const { correlationData, ...others } = properties;
    header.properties = correlationData ? { ...others, correlationData: Buffer.from(correlationData).toString('base64') } : others;
  }
  return encodeRecord(header, payload);
}

export function decodeStoredPublish<X extends object = object>(bytes: Uint8Array): StoredPublish & X {
  const { header, payload } = decodeRecord<StoredHeader & X>(bytes);
  const { properties, ...rest } = header;
  const out = { ...rest, payload } as unknown as StoredPublish & X;
  if (properties) {
    const { correlationData, userProperties, ...others } = properties as Record<string, unknown>;
    const props: PublishProperties = { ...(others as PublishProperties) };
    if (typeof correlationData === 'string') props.correlationData = Buffer.from(correlationData, 'base64');
    if (userProperties) props.userProperties = Object.assign(Object.create(null) as UserProperties, userProperties);
    out.properties = props;
  }
  return out;
}

/** The core form of a stored message (a retained delivery or a will being published). */
export function storedToCore(s: StoredPublish, now: number): OutgoingMessage & Pick<CoreMessage, 'messageId' | 'timestamp'> {
  const properties = s.properties ? { ...s.properties } : undefined;
  // A retained message counts down from its publication; a will's interval starts when it is published.
  if (properties && s.expiresAt > 0) properties.messageExpiryInterval = Math.max(1, Math.ceil((s.expiresAt - now) / 1000));
  const fields: PublishFields = { topic: s.topic, payload: s.payload, qos: s.qos, retain: s.retain };
  if (properties) fields.properties = properties;
  const message = toCoreMessage(fields, s.publisher, now);
  if (s.expiresAt > 0) message.expiration = s.expiresAt;
  return { ...message, messageId: s.id, timestamp: s.timestamp };
}
