import type { IPubackPacket } from 'mqtt-packet';
import type { MqttConnection } from '../connection.js';

/**
 * PUBACK: the QoS 1 delivery is complete and its core delivery settled. A reason code ≥ 0x80
 * completes it too: the client has taken responsibility and it is not resent (MQTT 5 §4.3.2).
 * An unknown packet id is ignored.
 */
export function handlePuback(conn: MqttConnection, packet: IPubackPacket): void {
  conn.session!.puback(packet.messageId!);
}
