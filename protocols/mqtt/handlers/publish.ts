import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { IPublishPacket, Packet, QoS } from 'mqtt-packet';
import { PromiseBatches, toBrokerError, type CoreSession } from '../../../src/spi/index.js';
import type { AckSlot, MqttConnection } from '../connection.js';
import { MqttProtocolError, REASON, malformed, protocolError, reasonFor } from '../errors.js';
import { toCoreMessage, type PublishFields, type StoredPublish } from '../message-mapping.js';
import type { RetainedStore } from '../retained.js';
import { mqttToCoreName, topicNameProblem } from '../topic-mapping.js';

/**
 * PUBLISH from the client, as ordered steps:
 *  1. check the packet: DUP only with QoS > 0 [MQTT-3.3.1-2], a non-zero packet id for QoS > 0
 *     [MQTT-2.2.1-3], no Subscription Identifier from a client [MQTT-3.3.4-6], the Topic Alias
 *     [MQTT-3.3.2-12], the topic name (no wildcards [MQTT-3.3.2-2], bounded levels), the payload
 *     when it claims to be UTF-8 [MQTT-3.3.2-4 may];
 *  2. a QoS 2 packet id already held is a resend: answer PUBREC again, route nothing [MQTT-4.3.3-10];
 *  3. count it against our Receive Maximum (5.0: DISCONNECT 0x93 past it [MQTT-3.3.4-7]);
 *  4. route it to the core (QoS 1/2 as persistent messages) and update the retained message;
 *  5. only when both are durable: PUBACK (QoS 1) or record the id and PUBREC (QoS 2), in the
 *     order the PUBLISHes came [MQTT-4.6.0-2] [MQTT-4.6.0-3]. A failure is a PUBACK/PUBREC with
 *     a reason code in 5.0; a 3.1.1 client cannot be told, so it is disconnected [MQTT-3.3.5-2].
 */
export function handlePublish(conn: MqttConnection, p: IPublishPacket): void {
  const session = conn.session!;
  const { config } = conn.services;
  const packetId = p.messageId ?? 0;
  conn.services.traffic.received++;

  // 1.
  if (p.qos === 0 && p.dup) throw malformed('DUP set on a QoS 0 PUBLISH');
  if (p.qos > 0 && packetId === 0) throw protocolError('packet identifier 0');
  let topic = p.topic;
  let properties = p.properties;
  if (properties) {
    if (properties.subscriptionIdentifier !== undefined) throw protocolError('a client may not send a Subscription Identifier');
    if (properties.topicAlias !== undefined) {
      topic = conn.resolveInboundAlias(properties.topicAlias, topic);
      const { topicAlias: _alias, ...rest } = properties;
      properties = rest;
    }
  }
  const problem = topicNameProblem(topic, config.maxTopicLevels);
  if (problem) throw new MqttProtocolError(REASON.TOPIC_NAME_INVALID, problem);
  // Copied: the packet is a view into a socket chunk that must not live as long as the message.
  const payload = Buffer.from(typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload);
  if (properties?.payloadFormatIndicator && !isUtf8(payload)) {
    if (p.qos === 0) throw new MqttProtocolError(REASON.PAYLOAD_FORMAT_INVALID, 'the payload is not UTF-8');
    conn.fillAck(conn.reserveAck(), ackPacket(conn, p.qos, packetId, REASON.PAYLOAD_FORMAT_INVALID));
    return;
  }

  // 2.
  if (p.qos === 2) {
    const held = session.inboundOf(packetId);
    if (held) {
      const slot = conn.reserveAck();
      held.then(
        () => conn.fillAck(slot, ackPacket(conn, 2, packetId, REASON.SUCCESS)),
        () => conn.fillAck(slot, null),
      );
      return;
    }
  }

  // 3.
  if (p.qos > 0) conn.takeInboundQuota();
  if (p.qos === 2 && session.inboundCount >= 2 * config.receiveMaximum) {
    // The inbound QoS 2 window is bounded for 3.x clients too (5.0 ones hit Receive Maximum first).
    throw new MqttProtocolError(REASON.RECEIVE_MAXIMUM_EXCEEDED, 'too many unreleased QoS 2 messages');
  }

  // 4.
  const fields: PublishFields = { topic, payload, qos: p.qos, retain: p.retain };
  if (properties) fields.properties = properties;
  const routed = routeApplicationMessage(session.core, conn.services.retained, fields, session.clientId);
  conn.sendStarted();

  // 5. (The send counts as pending until its acknowledgement may go.)
  if (p.qos === 2) {
    const slot = conn.reserveAck();
    session.receiveQos2(packetId, routed).then(
      () => acknowledge(conn, slot, 2, packetId),
      (err: unknown) => refuse(conn, slot, 2, packetId, err),
    );
    return;
  }
  const item: RoutedPublish = p.qos === 0 ? ROUTED_QOS0 : conn.reserveAck({ packet: undefined, qos: 1, packetId });
  (conn.routedPublishes ??= new PromiseBatches<RoutedPublish>(
    (items) => { for (const r of items) acknowledge(conn, r, r.qos, r.packetId); },
    (items, err) => { for (const r of items) refuse(conn, r, r.qos, r.packetId, err); },
  )).add(routed, item);
}

/** A QoS 0 or 1 PUBLISH waiting for the core (its acknowledgement slot, for QoS 1). */
export interface RoutedPublish extends AckSlot {
  readonly qos: 0 | 1;
  readonly packetId: number;
}

/** Every QoS 0 PUBLISH waits as this one item: nothing is acknowledged for it. */
const ROUTED_QOS0: RoutedPublish = Object.freeze({ packet: null, qos: 0, packetId: 0 });

function acknowledge(conn: MqttConnection, slot: AckSlot, qos: QoS, packetId: number): void {
  conn.sendSettled();
  if (qos === 0) return;
  if (qos === 1) conn.releaseInboundQuota();
  conn.fillAck(slot, ackPacket(conn, qos, packetId, REASON.SUCCESS));
}

function refuse(conn: MqttConnection, slot: AckSlot, qos: QoS, packetId: number, err: unknown): void {
  conn.sendSettled();
  if (qos === 0) {
    conn.services.logger.debug({ err, clientId: conn.clientId }, 'a QoS 0 message was not routed');
    return;
  }
  conn.releaseInboundQuota();
  if (conn.level !== 5) {
    conn.fillAck(slot, null);
    conn.fail(err);
    return;
  }
  conn.services.logger.debug({ err, clientId: conn.clientId }, 'a PUBLISH was refused');
  conn.fillAck(slot, ackPacket(conn, qos, packetId, reasonFor(toBrokerError(err), 'publish')));
}

function ackPacket(conn: MqttConnection, qos: number, packetId: number, reasonCode: number): Packet {
  const cmd = qos === 1 ? 'puback' : 'pubrec';
  return conn.level === 5 ? { cmd, messageId: packetId, reasonCode } : { cmd, messageId: packetId };
}

/**
 * Routes an application message (a client's PUBLISH or a will) to the core and, with retain set,
 * makes it the topic's retained message (an empty payload clears it). Resolves when both are durable.
 */
export function routeApplicationMessage(
  core: CoreSession, retained: RetainedStore, fields: PublishFields, publisher: string,
): Promise<void> {
  const now = Date.now();
  const message = toCoreMessage(fields, publisher, now);
  const routed = core.send({ name: mqttToCoreName(fields.topic), routing: 'multicast' }, message);
  if (!fields.retain) return routed;
  const stored: StoredPublish = { ...fields, id: randomUUID(), publisher, timestamp: now, expiresAt: message.expiration };
  return Promise.all([routed, retained.set(stored)]).then(() => undefined);
}
