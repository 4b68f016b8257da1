import {
  DEFAULT_PRIORITY,
  type Address,
  type BodyType,
  type CoreMessage,
  type CoreSession,
  type OutgoingMessage,
  type Properties,
  type RoutingType,
} from '../../src/spi/index.js';
import type { HeaderSink, InboundFrame } from './codec/frame.js';
import { ProtocolError } from './errors.js';

/**
 * Destinations and headers ↔ core addresses and messages, as ActiveMQ 5.x's STOMP transport
 * (LegacyFrameTranslator, FrameTranslator.Helper) maps them.
 */

const PREFIXES: ReadonlyArray<readonly [string, RoutingType, 'named' | 'temp' | 'remote-temp']> = [
  ['/queue/', 'anycast', 'named'],
  ['/topic/', 'multicast', 'named'],
  ['/temp-queue/', 'anycast', 'temp'],
  ['/temp-topic/', 'multicast', 'temp'],
  ['/remote-temp-queue/', 'anycast', 'remote-temp'],
  ['/remote-temp-topic/', 'multicast', 'remote-temp'],
];

/**
 * Per-connection destination naming. `/temp-queue/x` and `/temp-topic/x` name a temporary
 * destination this connection creates on first use and reuses for the same name; messages that
 * come back through one show its `/temp-...` name again, while other connections see it as
 * `/remote-temp-queue/<core name>` — exactly ActiveMQ's ProtocolConverter.createTempDestination /
 * getCreatedTempDestinationName behaviour.
 */
export class DestinationMap {
  private readonly tempByName = new Map<string, Address>();
  private readonly nameByTemp = new Map<string, string>();
  /**
   * The last prefixed name resolved to a non-temporary address, and the last address formatted:
   * a connection mostly uses one destination, and one shared Address also lets format() hit.
   */
  private lastResolved: { name: string; address: Address } | undefined;
  private lastFormatted: { address: Address; name: string } | undefined;

  constructor(private readonly session: () => CoreSession) {}

  /**
   * Maps a STOMP destination. A name without a known prefix is a queue of that (untrimmed) name when
   * `bareIsQueue` (ActiveMQ's DefaultUnresolvedDestinationTransformer, used for SEND, SUBSCRIBE and
   * UNSUBSCRIBE); otherwise (reply-to) it is not a destination and `undefined` is returned.
   */
  resolve(name: string, bareIsQueue: true): Address;
  resolve(name: string, bareIsQueue: false): Address | undefined;
  resolve(name: string, bareIsQueue: boolean): Address | undefined {
    const last = this.lastResolved;
    if (last !== undefined && last.name === name) return last.address;
    const trimmed = name.trim();
    for (const [prefix, routing, kind] of PREFIXES) {
      if (!trimmed.startsWith(prefix)) continue;
      const rest = trimmed.slice(prefix.length);
      if (rest.length === 0) throw illegal(name);
      switch (kind) {
        case 'named':
          return this.remember(name, { name: rest, routing });
        case 'remote-temp':
          return this.remember(name, { name: rest, routing, temporary: true });
        case 'temp':
          return this.temporary(trimmed, routing);
      }
    }
    if (!bareIsQueue) return undefined;
    if (trimmed.length === 0) throw new ProtocolError("Invalid empty or 'null' Destination header");
    return { name, routing: 'anycast' };
  }

  /** The STOMP name of an address, as this connection should see it. */
  format(address: Address): string {
    const last = this.lastFormatted;
    if (last !== undefined && last.address === address) return last.name;
    const name = this.formatAnew(address);
    this.lastFormatted = { address, name };
    return name;
  }

  private formatAnew(address: Address): string {
    // Most connections create no temporary destination: no key to build then.
    const own = this.nameByTemp.size > 0 ? this.nameByTemp.get(key(address)) : undefined;
    if (own !== undefined) return own;
    if (address.temporary) return `${address.routing === 'anycast' ? '/remote-temp-queue/' : '/remote-temp-topic/'}${address.name}`;
    return `${address.routing === 'anycast' ? '/queue/' : '/topic/'}${address.name}`;
  }

  private remember(name: string, address: Address): Address {
    this.lastResolved = { name, address };
    return address;
  }

  private temporary(stompName: string, routing: RoutingType): Address {
    let address = this.tempByName.get(stompName);
    if (address === undefined) {
      address = this.session().createTemporary(routing);
      this.tempByName.set(stompName, address);
      this.nameByTemp.set(key(address), stompName);
      // An address formatted before may now be this connection's own.
      this.lastFormatted = undefined;
    }
    return address;
  }
}

function key(address: Address): string {
  return `${address.routing}:${address.name}`;
}

function illegal(name: string): ProtocolError {
  return new ProtocolError(
    `Illegal destination name: [${name}] -- ActiveMQ STOMP destinations must begin with one of: /queue/ /topic/ /temp-queue/ /temp-topic/`,
  );
}

/**
 * SEND headers that are not message properties: STOMP framing and the headers mapped onto
 * message fields. Also never copied from properties onto MESSAGE frames, so a property of such a
 * name (set by another protocol) cannot disturb framing or acknowledgement.
 */
const RESERVED = new Set([
  'destination', 'receipt', 'transaction', 'content-length', 'content-type', 'correlation-id', 'expires',
  'timestamp', 'priority', 'type', 'persistent', 'message-id', 'redelivered', 'subscription', 'ack',
  'JMSXUserID', 'JMSXGroupID', 'JMSXGroupSeq', 'original-destination',
]);
/** reply-to is a property when it names no STOMP destination (ActiveMQ keeps it as a string property). */
const REPLY_TO = 'reply-to';

/** SEND headers copied onto optional message fields as they are. */
const OPTIONAL_HEADERS: ReadonlyArray<readonly [string, 'correlationId' | 'type' | 'contentType' | 'groupId']> = [
  ['correlation-id', 'correlationId'],
  ['type', 'type'],
  ['content-type', 'contentType'],
  ['JMSXGroupID', 'groupId'],
];

/** A SEND frame as a core message. */
export function messageFromFrame(frame: InboundFrame, destinations: DestinationMap): OutgoingMessage {
  const h = frame.headers;
  const properties: Properties = {};
  let replyTo: Address | undefined;
  const replyToName = h.get(REPLY_TO);
  if (replyToName !== undefined) {
    replyTo = destinations.resolve(replyToName, false);
    if (replyTo === undefined) properties[REPLY_TO] = replyToName;
  }
  for (const [name, value] of h) {
    if (!RESERVED.has(name) && name !== REPLY_TO) properties[name] = value;
  }
  const message: OutgoingMessage = {
    body: frame.body,
    bodyType: bodyTypeOf(h),
    properties,
    persistent: h.get('persistent') === 'true',
    priority: integerHeader(h, 'priority', DEFAULT_PRIORITY, 0, 9),
    expiration: integerHeader(h, 'expires', 0, 0, Number.MAX_SAFE_INTEGER),
  };
  const timestamp = integerHeader(h, 'timestamp', 0, 0, Number.MAX_SAFE_INTEGER);
  if (timestamp > 0) message.timestamp = timestamp;
  if (replyTo !== undefined) message.replyTo = replyTo;
  for (const [header, field] of OPTIONAL_HEADERS) {
    const value = h.get(header);
    if (value !== undefined) message[field] = value;
  }
  if (h.has('JMSXGroupSeq')) message.groupSeq = integerHeader(h, 'JMSXGroupSeq', 0, 0, 2 ** 31 - 1);
  return message;
}

/**
 * ActiveMQ's LegacyFrameTranslator: a frame with content-length becomes a BytesMessage, one
 * without a TextMessage; the `amq-msg-type` header (text | bytes) overrides that.
 */
function bodyTypeOf(h: Map<string, string>): BodyType {
  const intended = h.get('amq-msg-type');
  if (intended !== undefined) {
    const lower = intended.toLowerCase();
    if (lower === 'text' || lower === 'bytes') return lower;
    throw new ProtocolError(`Unsupported message type '${intended}'`);
  }
  return h.has('content-length') ? 'bytes' : 'text';
}

function integerHeader(h: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const text = h.get(name);
  if (text === undefined) return fallback;
  const value = /^\s*-?\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ProtocolError(`Invalid ${name} header: ${text.slice(0, 64)} (an integer ${min}..${max} is required)`);
  }
  return value;
}

export interface MessageFrameContext {
  subscriptionId: string;
  /** The 1.2 `ack` header, for client-acknowledged subscriptions. */
  ackId?: string;
  redelivered: boolean;
}

/**
 * MESSAGE headers for a delivery, named and shaped as ActiveMQ's
 * FrameTranslator.Helper.copyStandardHeadersFromMessageToFrame sends them: expires, priority and
 * timestamp always; redelivered and persistent only when true; then the message properties.
 * Handed to `out` one by one, so that an encoder can write them without a list in between.
 */
export function writeMessageFrameHeaders(m: CoreMessage, o: MessageFrameContext, destinations: DestinationMap, out: HeaderSink): void {
  out.header('subscription', o.subscriptionId);
  out.header('message-id', m.messageId);
  out.header('destination', destinations.format(m.address));
  if (o.ackId !== undefined) out.header('ack', o.ackId);
  out.header('expires', String(m.expiration));
  out.header('priority', String(m.priority));
  out.header('timestamp', String(m.timestamp));
  if (o.redelivered) out.header('redelivered', 'true');
  if (m.persistent) out.header('persistent', 'true');
  if (m.correlationId !== undefined) out.header('correlation-id', m.correlationId);
  if (m.replyTo !== undefined) out.header(REPLY_TO, destinations.format(m.replyTo));
  if (m.type !== undefined) out.header('type', m.type);
  if (m.userId !== undefined) out.header('JMSXUserID', m.userId);
  if (m.originalDestination !== undefined) out.header('original-destination', destinations.format(m.originalDestination));
  if (m.contentType !== undefined) out.header('content-type', m.contentType);
  if (m.groupId !== undefined) out.header('JMSXGroupID', m.groupId);
  if (m.groupSeq !== undefined) out.header('JMSXGroupSeq', String(m.groupSeq));
  const properties = m.properties;
  for (const name of Object.keys(properties)) {
    if (RESERVED.has(name) || (name === REPLY_TO && m.replyTo !== undefined)) continue;
    const text = propertyText(properties[name]);
    if (text !== undefined) out.header(name, text);
  }
}

/** The MESSAGE headers of writeMessageFrameHeaders as a list. */
export function messageFrameHeaders(m: CoreMessage, o: MessageFrameContext, destinations: DestinationMap): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  writeMessageFrameHeaders(m, o, destinations, { header: (name, value) => headers.push([name, value]) });
  return headers;
}

/** STOMP headers are text; byte-array and null properties have no STOMP form and are left out. */
function propertyText(value: Properties[string]): string | undefined {
  if (value === null || value instanceof Uint8Array) return undefined;
  return String(value);
}

/**
 * MESSAGE body and whether to announce its length. Bytes bodies carry content-length (ActiveMQ);
 * text bodies do not. Map, stream and object bodies have no STOMP form: like ActiveMQ without a
 * `transformation`, the frame goes out with the headers and an empty body.
 */
export function messageFrameBody(m: CoreMessage): { body: Uint8Array; withContentLength: boolean } {
  switch (m.bodyType) {
    case 'text':
      return { body: m.body, withContentLength: false };
    case 'bytes':
      return { body: m.body, withContentLength: true };
    case 'map':
    case 'stream':
    case 'object':
    case 'empty':
      return { body: new Uint8Array(0), withContentLength: false };
    default: {
      const unreachable: never = m.bodyType;
      return unreachable;
    }
  }
}
