import type { MqttConnection } from '../connection.js';

/** PINGREQ → PINGRESP [MQTT-3.12.4-1]; any packet already refreshed the keep-alive clock. */
export function handlePingreq(conn: MqttConnection): void {
  conn.send({ cmd: 'pingresp' });
}
