import { isUtf8 } from 'node:buffer';
import { generate, writeToStream, type Packet } from 'mqtt-packet';
import Parser from 'mqtt-packet/parser.js';
import { MqttProtocolError, REASON, malformed, protocolError } from './errors.js';

// mqtt-packet's first generate() otherwise builds a cache of 65,536 two-byte Buffers (about 7 MB
// of heap for life); the packets it still encodes here (CONNACK, SUBACK, ...) are not hot.
writeToStream.cacheNumbers = false;

/** The protocol level of a connection: 3 = MQTT 3.1, 4 = 3.1.1, 5 = 5.0. */
export type ProtocolLevel = 3 | 4 | 5;

const CONNECT_TYPE = 1;

/**
 * mqtt-packet's parser, made strict about strings: it decodes them leniently (invalid UTF-8
 * becomes U+FFFD), while MQTT requires well-formed UTF-8 without U+0000 and a receiver to close
 * the connection otherwise [MQTT-1.5.4-1] [MQTT-1.5.4-2]. Every string field — topic names and
 * filters, client id, user name, property strings and pairs — passes through `_parseString`.
 */
class StrictParser extends Parser {
  badString = false;

  /** Back to a clean state after a failed packet (mqtt-packet's own reset leaves `_pos` behind). */
  clear(): void {
    this._resetState();
    this._pos = 0;
  }

  _parseString(): string | null {
    const length = this._parseNum();
    const end = length + this._pos;
    if (length === -1 || end > this._list.length || end > this.packet.length) return null;
    const bytes = this._list.slice(this._pos, end);
    this._pos = end;
    if (!isUtf8(bytes) || bytes.includes(0)) this.badString = true;
    return bytes.toString('utf8');
  }
}

/**
 * One parser per protocol level, shared by every connection: the framer hands over exactly one
 * whole packet at a time and parsing is synchronous, so a parser holds no connection state
 * between calls (CONNECT has its own, since parsing one rewrites the parser's settings).
 */
interface SharedParser {
  parser: StrictParser;
  packet: Packet | undefined;
}

function sharedParser(protocolVersion: number): SharedParser {
  const shared: SharedParser = { parser: new StrictParser().parser({ protocolVersion }), packet: undefined };
  shared.parser.on('packet', (p: Packet) => (shared.packet = p));
  shared.parser.on('error', () => undefined); // read from parser.error after parse()
  return shared;
}

const PARSERS = { connect: sharedParser(4), 3: sharedParser(3), 4: sharedParser(4), 5: sharedParser(5) };

/**
 * Decodes one whole packet (as cut by FrameReader), `bytes` from `start` to `end`. `level` is
 * undefined until CONNECT, when only a CONNECT may arrive [MQTT-3.1.0-1]. Throws
 * MqttProtocolError for malformed packets.
 */
export function decodePacket(bytes: Buffer, level: ProtocolLevel | undefined, start = 0, end = bytes.length): Packet {
  if (level === undefined && bytes[start]! >> 4 !== CONNECT_TYPE) throw protocolError('the first packet must be CONNECT');
  if (level !== undefined) {
    const fast = decodeHotPacket(bytes, start, end, level);
    if (fast) return fast;
  }
  const shared = level === undefined ? PARSERS.connect : PARSERS[level];
  const { parser } = shared;
  shared.packet = undefined;
  parser.badString = false;
  try {
    parser.parse(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end));
  } catch (e) {
    parser.error = e instanceof Error ? e : new Error(String(e));
  }
  const packet = shared.packet;
  shared.packet = undefined;
  if (parser.error || !packet) {
    const reason = parser.error?.message ?? 'incomplete packet';
    parser.clear();
    if (level === undefined && reason === 'Invalid protocol version') {
      throw new MqttProtocolError(REASON.UNSUPPORTED_PROTOCOL_VERSION, reason);
    }
    throw malformed(reason);
  }
  if (parser.badString) throw malformed('a string is not well-formed UTF-8 or contains U+0000');
  checkProperties(packet);
  return packet;
}

const ACK_COMMANDS = { 4: 'puback', 5: 'pubrec', 6: 'pubrel', 7: 'pubcomp' } as const;

/**
 * The hot path, without mqtt-packet's per-packet parser state: a PUBLISH without MQTT 5
 * properties and the 4-byte acknowledgements. Anything else (properties, reason codes, odd flags)
 * returns undefined and takes the full parser, which also reports every malformation.
 */
function decodeHotPacket(b: Buffer, start: number, end: number, level: ProtocolLevel): Packet | undefined {
  const header = b[start]!;
  const type = header >> 4;
  if (type >= 4 && type <= 7) {
    if (end - start !== 4 || (header & 0x0f) !== (type === 6 ? 2 : 0)) return undefined;
    const cmd = ACK_COMMANDS[type as 4 | 5 | 6 | 7];
    const messageId = b.readUInt16BE(start + 2);
    return level === 5 ? { cmd, messageId, reasonCode: 0 } : { cmd, messageId };
  }
  if (type !== 3) return undefined;
  const qos = (header >> 1) & 3;
  if (qos === 3) return undefined;
  let pos = start + 1;
  while (b[pos]! & 0x80) pos++;
  pos++;
  if (pos + 2 > end) return undefined;
  const topicEnd = pos + 2 + b.readUInt16BE(pos);
  const afterId = topicEnd + (qos > 0 ? 2 : 0);
  if (afterId + (level === 5 ? 1 : 0) > end) return undefined;
  if (level === 5 && b[afterId] !== 0) return undefined; // properties: the full parser
  const topic = utf8String(b, pos + 2, topicEnd);
  const payload = b.subarray(afterId + (level === 5 ? 1 : 0), end);
  const dup = (header & 0x08) !== 0;
  const retain = (header & 0x01) !== 0;
  // Two literals rather than a spread: no temporary object, and one shape for each.
  if (qos === 0) return { cmd: 'publish', topic, payload, qos, dup, retain } as Packet;
  return { cmd: 'publish', topic, payload, qos, dup, retain, messageId: b.readUInt16BE(topicEnd) } as Packet;
}

/** A well-formed UTF-8 string without U+0000 [MQTT-1.5.4-1] [MQTT-1.5.4-2]; plain ASCII checked in place. */
function utf8String(b: Buffer, start: number, end: number): string {
  let ascii = true;
  for (let i = start; i < end && ascii; i++) ascii = b[i]! !== 0 && b[i]! < 0x80;
  if (!ascii) {
    const bytes = b.subarray(start, end);
    if (!isUtf8(bytes) || bytes.includes(0)) throw malformed('a string is not well-formed UTF-8 or contains U+0000');
  }
  return b.toString(ascii ? 'latin1' : 'utf8', start, end);
}

/** Only User Property (and Subscription Identifier from a server) may repeat (MQTT 5 §2.2.2.2). */
function checkProperties(packet: Packet): void {
  const props = (packet as { properties?: Record<string, unknown> }).properties;
  if (props) checkNoRepeats(props);
  if (packet.cmd === 'connect' && packet.will?.properties) checkNoRepeats(packet.will.properties);
}

function checkNoRepeats(props: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(props)) {
    if (name !== 'userProperties' && Array.isArray(value)) throw protocolError(`property ${name} appears more than once`);
  }
}

/** Encodes a packet; throws if mqtt-packet refuses it (a bug of ours, never of the peer). */
export function encodePacket(packet: Packet, level: ProtocolLevel): Buffer {
  try {
    return generate(packet, { protocolVersion: level });
  } catch (e) {
    throw new MqttProtocolError(REASON.IMPLEMENTATION_SPECIFIC_ERROR, `cannot encode ${packet.cmd}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The Remaining Length of a PUBLISH without MQTT 5 properties (see writeBarePublish). */
function barePublishRemaining(topicBytes: number, payloadBytes: number, qos: number, level: ProtocolLevel): number {
  return 2 + topicBytes + (qos > 0 ? 2 : 0) + (level === 5 ? 1 : 0) + payloadBytes;
}

/** The whole size of a PUBLISH without MQTT 5 properties, its topic `topicBytes` long in UTF-8. */
export function barePublishSize(topicBytes: number, payloadBytes: number, qos: number, level: ProtocolLevel): number {
  const remaining = barePublishRemaining(topicBytes, payloadBytes, qos, level);
  return 1 + (remaining < 0x80 ? 1 : remaining < 0x4000 ? 2 : remaining < 0x200000 ? 3 : 4) + remaining;
}

/**
 * The hot path: a PUBLISH without MQTT 5 properties, written directly at `pos` of `out` (which has
 * room for barePublishSize bytes) — the same bytes as mqtt-packet's generate, checked by a test,
 * without its per-packet stream objects or a buffer of its own.
 */
export function writeBarePublish(
  out: Buffer, pos: number, topic: string, topicBytes: number, payload: Uint8Array,
  qos: number, packetId: number, dup: boolean, retain: boolean, level: ProtocolLevel,
): void {
  out[pos++] = 0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 1 : 0);
  let n = barePublishRemaining(topicBytes, payload.length, qos, level);
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n > 0) byte |= 0x80;
    out[pos++] = byte;
  } while (n > 0);
  out.writeUInt16BE(topicBytes, pos);
  pos += 2;
  pos += out.write(topic, pos, 'utf8');
  if (qos > 0) {
    out.writeUInt16BE(packetId, pos);
    pos += 2;
  }
  if (level === 5) out[pos++] = 0; // property length 0
  out.set(payload, pos);
}
