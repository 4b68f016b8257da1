import type { IPubrelPacket } from 'mqtt-packet';
import type { MqttConnection } from '../connection.js';
import { REASON } from '../errors.js';

/**
 * PUBREL: the client releases an inbound QoS 2 packet id; answer PUBCOMP once the id is
 * forgotten [MQTT-4.3.3-11]. A PUBREL for an id we do not hold — a duplicate, or one whose
 * PUBCOMP was lost — still gets a PUBCOMP (0x92 in 5.0), never an error or a second routing.
 */
export function handlePubrel(conn: MqttConnection, packet: IPubrelPacket): void {
  const packetId = packet.messageId!;
  const session = conn.session!;
  if (!session.inboundOf(packetId)) {
    conn.send({ cmd: 'pubcomp', messageId: packetId, ...(conn.level === 5 ? { reasonCode: REASON.PACKET_IDENTIFIER_NOT_FOUND } : {}) });
    return;
  }
  session.release(packetId).then(
    (held) => {
      if (held) conn.releaseInboundQuota();
      const reasonCode = held ? REASON.SUCCESS : REASON.PACKET_IDENTIFIER_NOT_FOUND;
      conn.send({ cmd: 'pubcomp', messageId: packetId, ...(conn.level === 5 ? { reasonCode } : {}) });
    },
    (err: unknown) => conn.fail(err),
  );
}
