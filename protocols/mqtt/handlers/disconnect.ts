import type { IDisconnectPacket } from 'mqtt-packet';
import type { MqttConnection } from '../connection.js';
import { REASON, protocolError } from '../errors.js';

/**
 * DISCONNECT from the client: a normal one discards the will [MQTT-3.14.4-3]; 0x04 (5.0) asks for
 * it to be published. A 5.0 client may change the Session Expiry Interval here, but not from 0
 * [MQTT-3.14.2-2]. The server closes the connection [MQTT-3.14.4-1].
 */
export function handleDisconnect(conn: MqttConnection, p: IDisconnectPacket): void {
  if (conn.level === 5) {
    const expiry = p.properties?.sessionExpiryInterval;
    if (expiry !== undefined) {
      if (conn.connectExpirySeconds === 0 && expiry > 0) throw protocolError('Session Expiry Interval raised from 0 at DISCONNECT');
      conn.session!.expirySeconds = Math.min(expiry, conn.services.config.maxSessionExpirySeconds);
    }
  }
  conn.graceful = conn.level !== 5 || p.reasonCode !== REASON.DISCONNECT_WITH_WILL;
  conn.transition('disconnect');
  conn.endAfterFlush();
}
