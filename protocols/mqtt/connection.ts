import type { IPublishPacket, Packet } from 'mqtt-packet';
import { isBrokerError, type BrokerError, type PromiseBatches, type TransportConnection } from '../../src/spi/index.js';
import type { AdapterServices } from './adapter-services.js';
import { MqttProtocolError, REASON, protocolError, reasonFor, type ReasonCode } from './errors.js';
import { FrameReader } from './frame-reader.js';
import { handlePacket } from './handlers/index.js';
import type { RoutedPublish } from './handlers/publish.js';
import { mqttTopicOf, publishPropertiesOf, type PublishProperties } from './message-mapping.js';
import { barePublishSize, decodePacket, encodePacket, writeBarePublish, type ProtocolLevel } from './packet-codec.js';
import type { MqttSession, Outbound, SessionLink } from './session.js';

/**
 * The lifecycle of one MQTT network connection.
 *
 *   awaiting-connect ──CONNECT──▶ connecting ──accept──▶ connected ──DISCONNECT / error──▶ closing
 *                                     └──────refuse──────────────────────────────────────▶ closing
 *   any ──transport closed──▶ closed
 */
export type ConnectionState = 'awaiting-connect' | 'connecting' | 'connected' | 'closing' | 'closed';
export type ConnectionEvent = 'connect' | 'accept' | 'refuse' | 'disconnect' | 'fail' | 'transport-closed';

export function nextState(state: ConnectionState, event: ConnectionEvent): ConnectionState {
  switch (event) {
    case 'connect':
      if (state === 'awaiting-connect') return 'connecting';
      break;
    case 'accept':
      if (state === 'connecting') return 'connected';
      break;
    case 'refuse':
      if (state === 'connecting') return 'closing';
      break;
    case 'disconnect':
      if (state === 'connected') return 'closing';
      break;
    case 'fail':
      if (state !== 'closed') return 'closing';
      break;
    case 'transport-closed':
      return 'closed';
    default: {
      const never: never = event;
      throw new Error(`unknown connection event ${String(never)}`);
    }
  }
  throw new Error(`connection event ${event} is not valid in state ${state}`);
}

/** A place in the ordered stream of acknowledgements (PUBACK / PUBREC go out in PUBLISH order [MQTT-4.6.0-2]). */
export interface AckSlot {
  /** undefined while pending; null when nothing is to be sent after all. */
  packet: Packet | null | undefined;
}

const ACK_HEADERS: Partial<Record<Packet['cmd'], number>> = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 };

/**
 * The header byte of one of the four acknowledgements when it goes as its 4 bytes, without a
 * reason code or properties (5.0 may leave out a Success reason code and empty properties
 * [MQTT-3.4.2-1]); undefined for anything else.
 */
function shortAckHeader(packet: Packet, level: ProtocolLevel): number | undefined {
  const header = ACK_HEADERS[packet.cmd];
  if (header === undefined) return undefined;
  const ack = packet as { reasonCode?: number; properties?: object };
  if (level === 5 && ((ack.reasonCode ?? 0) !== 0 || ack.properties)) return undefined;
  return header;
}

/** The first buffer of a tick's output is as large as the last tick's output, within these bounds; it doubles as it fills. */
const OUT_FIRST_BYTES = 1024;
const OUT_FIRST_MAX_BYTES = 256 * 1024;

/** CONNACK, return code 0x01 (unacceptable protocol level). */
const UNSUPPORTED_LEVEL_CONNACK = Buffer.from([0x20, 0x02, 0x00, 0x01]);

/** Packets waiting while an earlier one is processed asynchronously (CONNECT, SUBSCRIBE, ...): reading pauses here. */
const MAX_BACKLOG = 64;
/** More than this (all from chunks already read) and the connection is closed: 0x97 quota exceeded. */
const MAX_BACKLOG_HARD = 4096;

export class MqttConnection implements SessionLink {
  state: ConnectionState = 'awaiting-connect';
  level: ProtocolLevel | undefined;
  clientId = '';
  session: MqttSession | undefined;
  /** Session Expiry Interval from CONNECT (a DISCONNECT may not raise it from 0 [MQTT-3.14.2-2]). */
  connectExpirySeconds = 0;
  keepAliveMs = 0;
  /** The client sent a DISCONNECT that discards its will [MQTT-3.14.4-3]. */
  graceful = false;
  // What a 5.0 client told us in CONNECT.
  clientReceiveMaximum = 65535;
  clientMaxPacketBytes = 0;
  clientTopicAliasMaximum = 0;
  problemInformation = true;

  private readonly framer: FrameReader;
  private readonly openedAt = Date.now();
  private lastReceivedAt = this.openedAt;
  private closingSince = 0;
  /** Since when the socket has been above its high-water mark; 0 when it is not. */
  private blockedSince = 0;
  private busy = false;
  private backlog: Packet[] | undefined;
  /** This tick's packets, encoded back to back (the first `outBytes`), written at the end of the tick. */
  private out: Buffer | undefined;
  private outBytes = 0;
  /** Where the next tick's output starts: a busy subscriber's ticks are alike, so growing it again would only copy. */
  private outFirstBytes = OUT_FIRST_BYTES;
  private resumeScheduled = false;
  private acks: AckSlot[] | undefined;
  private ackHead = 0;
  private pendingSends = 0;
  private pausedForSends = false;
  private pausedForBacklog = false;
  /** Inbound QoS 1/2 PUBLISHes not yet completed, against our Receive Maximum. */
  private inboundInFlight = 0;
  private aliasesIn: Map<number, string> | undefined;
  private aliasesOut: Map<string, number> | undefined;
  /** QoS 0/1 PUBLISHes waiting for the core to confirm their sends (see handlers/publish.ts). */
  routedPublishes: PromiseBatches<RoutedPublish> | undefined;

  constructor(
    readonly transport: TransportConnection,
    readonly services: AdapterServices,
  ) {
    this.framer = new FrameReader(services.config.maxPacketBytes);
    transport.onData((chunk) => this.onData(chunk));
    transport.onDrain(() => this.onDrain());
    transport.onClose(() => this.onTransportClosed());
  }

  transition(event: ConnectionEvent): void {
    this.state = nextState(this.state, event);
  }

  // ---- inbound ----

  private onData(chunk: Buffer): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.lastReceivedAt = Date.now();
    try {
      this.framer.push(chunk, (buf, start, end) => {
        if (this.state === 'closing' || this.state === 'closed') return;
        this.receive(decodePacket(buf, this.level, start, end));
      });
    } catch (err) {
      this.fail(err);
    }
  }

  private receive(packet: Packet): void {
    if (this.busy) {
      (this.backlog ??= []).push(packet);
      if (this.backlog.length > MAX_BACKLOG_HARD) throw new MqttProtocolError(REASON.QUOTA_EXCEEDED, 'too many packets pipelined');
      if (this.backlog.length >= MAX_BACKLOG && !this.pausedForBacklog) {
        this.pausedForBacklog = true;
        this.transport.pause();
      }
      return;
    }
    const pending = handlePacket(this, packet);
    if (pending) {
      this.busy = true;
      pending.then(() => this.resumeBacklog(), (err: unknown) => this.fail(err));
    }
  }

  private resumeBacklog(): void {
    this.busy = false;
    while (!this.busy && this.backlog && this.backlog.length > 0) {
      if (this.state === 'closing' || this.state === 'closed') return;
      try {
        this.receive(this.backlog.shift()!);
      } catch (err) {
        this.fail(err);
        return;
      }
    }
    if (this.pausedForBacklog && !this.busy) {
      this.pausedForBacklog = false;
      if (!this.pausedForSends) this.transport.resume();
    }
  }

  /** Counts an inbound QoS 1/2 PUBLISH against our Receive Maximum [MQTT-3.3.4-7]. */
  takeInboundQuota(): void {
    if (++this.inboundInFlight > this.services.config.receiveMaximum && this.level === 5) {
      throw new MqttProtocolError(REASON.RECEIVE_MAXIMUM_EXCEEDED, 'more unacknowledged QoS 1/2 PUBLISHes than Receive Maximum');
    }
  }

  releaseInboundQuota(): void {
    if (this.inboundInFlight > 0) this.inboundInFlight--;
  }

  /** A send to the core began: reading pauses while too many are unconfirmed (see sendSettled). */
  sendStarted(): void {
    if (++this.pendingSends >= this.services.config.maxPendingSends && !this.pausedForSends) {
      this.pausedForSends = true;
      this.transport.pause();
    }
  }

  sendSettled(): void {
    this.pendingSends--;
    if (this.pausedForSends && this.pendingSends <= this.services.config.maxPendingSends >> 1) {
      this.pausedForSends = false;
      if (!this.pausedForBacklog) this.transport.resume();
    }
  }

  /** Resolves a 5.0 Topic Alias on an inbound PUBLISH [MQTT-3.3.2-12]. */
  resolveInboundAlias(alias: number, topic: string): string {
    if (alias === 0 || alias > this.services.config.topicAliasMaximum) {
      throw new MqttProtocolError(REASON.TOPIC_ALIAS_INVALID, `topic alias ${alias} is out of range`); // [MQTT-3.3.2-9] [MQTT-3.3.2-10]
    }
    if (topic.length > 0) {
      (this.aliasesIn ??= new Map()).set(alias, topic);
      return topic;
    }
    const known = this.aliasesIn?.get(alias);
    if (known === undefined) throw protocolError(`topic alias ${alias} is not defined`);
    return known;
  }

  // ---- acknowledgements in order ----

  reserveAck<S extends AckSlot>(slot: S): S;
  reserveAck(): AckSlot;
  reserveAck(slot: AckSlot = { packet: undefined }): AckSlot {
    (this.acks ??= []).push(slot);
    return slot;
  }

  fillAck(slot: AckSlot, packet: Packet | null): void {
    slot.packet = packet;
    const acks = this.acks;
    if (!acks) return; // closed meanwhile
    while (this.ackHead < acks.length && acks[this.ackHead]!.packet !== undefined) {
      const ready = acks[this.ackHead]!.packet;
      acks[this.ackHead++] = undefined as unknown as AckSlot;
      if (ready) this.send(ready);
    }
    if (this.ackHead === acks.length) {
      this.acks = undefined;
      this.ackHead = 0;
    }
  }

  // ---- outbound ----

  /** Encodes and queues a packet; the queue is written once per tick. */
  send(packet: Packet): void {
    if (this.state === 'closed') return;
    const level = this.level ?? 4;
    if (level === 5 && !this.problemInformation && packet.cmd !== 'publish' && packet.cmd !== 'connack' && packet.cmd !== 'disconnect') {
      // Request Problem Information = 0: no reason strings or user properties here [MQTT-3.1.2-29].
      const props = (packet as { properties?: { reasonString?: string; userProperties?: unknown } }).properties;
      if (props) {
        delete props.reasonString;
        delete props.userProperties;
      }
    }
    const ackHeader = shortAckHeader(packet, level);
    if (ackHeader === undefined) {
      this.queueBytes(encodePacket(packet, level));
      return;
    }
    const id = (packet as { messageId: number }).messageId;
    const out = this.reserve(4);
    out[this.outBytes] = ackHeader;
    out[this.outBytes + 1] = 2;
    out.writeUInt16BE(id, this.outBytes + 2);
    this.outBytes += 4;
  }

  /** Room for `n` more bytes at `outBytes`; the first packet of a tick schedules the write. */
  private reserve(n: number): Buffer {
    const out = this.out;
    if (out && this.outBytes + n <= out.length) return out;
    if (!out) queueMicrotask(() => this.flush());
    const grown = Buffer.allocUnsafe(Math.max(this.outBytes + n, out ? out.length * 2 : this.outFirstBytes));
    out?.copy(grown, 0, 0, this.outBytes);
    this.out = grown;
    return grown;
  }

  private queueBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length).set(bytes, this.outBytes);
    this.outBytes += bytes.length;
  }

  private flush(): void {
    const out = this.out;
    const bytes = this.outBytes;
    this.out = undefined;
    this.outBytes = 0;
    this.outFirstBytes = Math.min(Math.max(bytes, OUT_FIRST_BYTES), OUT_FIRST_MAX_BYTES);
    if (!out || this.state === 'closed') return;
    const ok = this.transport.write(out.subarray(0, bytes));
    if (!ok) {
      if (this.blockedSince === 0) this.blockedSince = Date.now();
    } else if (this.session && this.session.queuedCount > 0 && !this.resumeScheduled) {
      // The pump stopped at the batch bound, not at a full socket: go on after pending I/O.
      this.resumeScheduled = true;
      setImmediate(() => {
        this.resumeScheduled = false;
        this.session?.pump();
      });
    }
  }

  private onDrain(): void {
    this.blockedSince = 0;
    this.session?.pump();
  }

  /** Open while the transport has not reported a full buffer; one tick's batch is bounded too. */
  get writable(): boolean {
    return this.state === 'connected' && this.blockedSince === 0 && this.outBytes < this.services.config.writeHighWaterMarkBytes;
  }

  get sendQuota(): number {
    return Math.min(this.clientReceiveMaximum, this.services.config.maxInflightMessages);
  }

  writePublish(item: Outbound, dup: boolean): boolean {
    this.services.traffic.sent++;
    const level = this.level!;
    const m = item.message!;
    const topic = mqttTopicOf(m);
    let properties: PublishProperties | undefined;
    if (level === 5) {
      properties = publishPropertiesOf(m, Date.now());
      const ids = item.subscriptionIds;
      if (ids) (properties ??= {}).subscriptionIdentifier = ids.length === 1 ? ids[0]! : ids;
    }
    const alias = level === 5 && this.clientTopicAliasMaximum > 0 ? this.outboundAlias(topic) : undefined;
    if (alias) {
      const bytes = this.encodePublish(item, dup, alias.known ? '' : topic, { ...properties, topicAlias: alias.alias });
      if (!this.tooLarge(bytes.length)) {
        this.queueBytes(bytes);
        return true;
      }
      if (alias.known) return false;
      this.aliasesOut!.delete(topic);
    }
    if (!properties) return this.queueBarePublish(item, dup, topic);
    const bytes = this.encodePublish(item, dup, topic, properties);
    if (this.tooLarge(bytes.length)) return false;
    this.queueBytes(bytes);
    return true;
  }

  /** The hot path: a PUBLISH without properties, encoded straight into this tick's output. */
  private queueBarePublish(item: Outbound, dup: boolean, topic: string): boolean {
    const level = this.level!;
    const body = item.message!.body;
    const topicBytes = Buffer.byteLength(topic);
    const size = barePublishSize(topicBytes, body.length, item.qos, level);
    if (this.tooLarge(size)) return false;
    const packetId = item.qos > 0 ? item.packetId : 0;
    writeBarePublish(this.reserve(size), this.outBytes, topic, topicBytes, body, item.qos, packetId, dup, item.retain, level);
    this.outBytes += size;
    return true;
  }

  private encodePublish(item: Outbound, dup: boolean, topic: string, properties: PublishProperties): Buffer {
    const body = item.message!.body;
    return encodePacket({
      cmd: 'publish', topic, payload: Buffer.from(body.buffer, body.byteOffset, body.byteLength), qos: item.qos, dup,
      retain: item.retain, messageId: item.qos > 0 ? item.packetId : 0, properties,
    } as IPublishPacket, this.level!);
  }

  /** Topic Aliases towards a 5.0 client: the first topics get one until the client's maximum is used. */
  private outboundAlias(topic: string): { alias: number; known: boolean } | undefined {
    this.aliasesOut ??= new Map();
    const known = this.aliasesOut.get(topic);
    if (known !== undefined) return { alias: known, known: true };
    if (this.aliasesOut.size >= this.clientTopicAliasMaximum) return undefined;
    const alias = this.aliasesOut.size + 1;
    this.aliasesOut.set(topic, alias);
    return { alias, known: false };
  }

  private tooLarge(packetBytes: number): boolean {
    return this.clientMaxPacketBytes > 0 && packetBytes > this.clientMaxPacketBytes; // [MQTT-3.1.2-24]
  }

  writePubrel(packetId: number): void {
    this.send({ cmd: 'pubrel', messageId: packetId, ...(this.level === 5 ? { reasonCode: 0 } : {}) });
  }

  sessionLost(reason: BrokerError): void {
    this.session = undefined;
    this.close(reasonFor(reason, 'disconnect'), reason.message);
  }

  /** Another connection took this one's session over [MQTT-3.1.4-3]. */
  takenOver(): void {
    this.session = undefined;
    this.close(REASON.SESSION_TAKEN_OVER, 'another connection took the session over');
  }

  // ---- ending ----

  /** Any error while handling this connection: a protocol error closes it with its reason code. */
  fail(err: unknown): void {
    if (err instanceof MqttProtocolError) {
      this.services.logger.debug({ clientId: this.clientId, reason: err.reason, err: err.message }, 'MQTT protocol error');
      this.close(err.reason, err.message);
    } else if (isBrokerError(err)) {
      this.services.logger.debug({ clientId: this.clientId, code: err.code }, 'MQTT connection failed');
      this.close(reasonFor(err, 'disconnect'), err.message);
    } else {
      this.services.logger.error({ err, clientId: this.clientId }, 'MQTT connection failed');
      this.close(REASON.IMPLEMENTATION_SPECIFIC_ERROR, 'internal error');
    }
  }

  /**
   * Closes from our side. A 5.0 client that has its CONNACK is told why with a DISCONNECT
   * [MQTT-3.14.0-1]; 3.x has no server DISCONNECT, the connection just closes.
   */
  close(reason: ReasonCode, message: string): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    const informed = this.state === 'connected' && this.level === 5;
    if (this.state === 'awaiting-connect' && reason === REASON.UNSUPPORTED_PROTOCOL_VERSION) {
      this.queueBytes(UNSUPPORTED_LEVEL_CONNACK); // [MQTT-3.1.2-2], in the 3.1.1 form every client reads
    }
    this.transition('fail');
    if (informed) {
      this.send({ cmd: 'disconnect', reasonCode: reason, ...(this.problemInformation ? { properties: { reasonString: message } } : {}) });
    }
    this.endAfterFlush();
  }

  /** Writes what is queued, then ends the transport (the state is already `closing`). */
  endAfterFlush(): void {
    this.closingSince = Date.now();
    this.flush();
    this.transport.end();
  }

  /** Broker shutdown: the session stays as persisted (its will too, published after a restart). */
  shutdown(): void {
    this.session = undefined;
    this.close(REASON.SERVER_SHUTTING_DOWN, 'the broker is shutting down');
  }

  /** Closes at once (connect timeout, frozen socket, shutdown timeout). */
  destroy(): void {
    this.transport.destroy();
  }

  private onTransportClosed(): void {
    if (this.state === 'closed') return;
    this.transition('transport-closed');
    this.out = undefined;
    this.outBytes = 0;
    this.acks = undefined;
    this.backlog = undefined;
    const session = this.session;
    this.session = undefined;
    if (session) {
      this.services.sessions.release(this, session, this.graceful).catch((err: unknown) =>
        this.services.logger.warn({ err, clientId: this.clientId }, 'could not release an MQTT session'));
    }
  }

  /** Called by the adapter's shared timer: connect timeout, keep alive, frozen socket, close timeout. */
  tick(now: number): void {
    const { config } = this.services;
    switch (this.state) {
      case 'awaiting-connect':
      case 'connecting':
        if (now - this.openedAt > config.connectTimeoutMs) this.destroy();
        return;
      case 'connected':
        if (this.keepAliveMs > 0 && now - this.lastReceivedAt > this.keepAliveMs * config.keepAliveGraceFactor) {
          this.close(REASON.KEEP_ALIVE_TIMEOUT, 'keep alive timeout'); // [MQTT-3.1.2-22]
        } else if (this.blockedSince > 0 && now - this.blockedSince > config.drainTimeoutMs) {
          this.services.logger.info({ clientId: this.clientId }, 'closing a frozen MQTT subscriber');
          this.destroy();
        }
        return;
      case 'closing':
        if (now - this.closingSince > config.closeTimeoutMs) this.destroy();
        return;
      case 'closed':
        return;
    }
  }
}
