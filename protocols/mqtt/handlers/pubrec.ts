import type { IPubrecPacket } from 'mqtt-packet';
import type { MqttConnection } from '../connection.js';
import { REASON } from '../errors.js';

/**
 * PUBREC: the client has the QoS 2 message; answer PUBREL with the same packet id [MQTT-4.3.3-4],
 * in PUBREC order [MQTT-4.6.0-4]. A repeated PUBREC gets PUBREL again; an unknown id gets
 * PUBREL 0x92 (5.0) so that the client can forget it. A reason code ≥ 0x80 ends the exchange.
 */
export function handlePubrec(conn: MqttConnection, packet: IPubrecPacket): void {
  const packetId = packet.messageId!;
  const { outcome, durable } = conn.session!.pubrec(packetId, (packet.reasonCode ?? 0) >= 0x80);
  if (outcome === 'release') {
    // Without a durable record no PUBREL: the client, still holding the id, answers the resent PUBLISH again.
    durable.then(() => conn.writePubrel(packetId), (err: unknown) => conn.fail(err));
  } else if (outcome === 'unknown') {
    conn.send({ cmd: 'pubrel', messageId: packetId, ...(conn.level === 5 ? { reasonCode: REASON.PACKET_IDENTIFIER_NOT_FOUND } : {}) });
  }
}
