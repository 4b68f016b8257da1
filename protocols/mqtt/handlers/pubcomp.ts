import type { IPubcompPacket } from 'mqtt-packet';
import type { MqttConnection } from '../connection.js';

/** PUBCOMP: the QoS 2 delivery is complete and its core delivery settled; an unknown packet id is ignored. */
export function handlePubcomp(conn: MqttConnection, packet: IPubcompPacket): void {
  conn.session!.pubcomp(packet.messageId!);
}
