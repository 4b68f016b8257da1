import type { Packet } from 'mqtt-packet';
import type { MqttConnection } from '../connection.js';
import { protocolError } from '../errors.js';
import { handleAuth } from './auth.js';
import { handleConnect } from './connect.js';
import { handleDisconnect } from './disconnect.js';
import { handlePingreq } from './pingreq.js';
import { handlePuback } from './puback.js';
import { handlePubcomp } from './pubcomp.js';
import { handlePublish } from './publish.js';
import { handlePubrec } from './pubrec.js';
import { handlePubrel } from './pubrel.js';
import { handleSubscribe } from './subscribe.js';
import { handleUnsubscribe } from './unsubscribe.js';

/**
 * The one dispatcher: enforces which packets a connection's state allows, then hands the packet
 * to its handler. A returned promise holds back the connection's later packets until it settles,
 * so that, e.g., a PUBLISH after a SUBSCRIBE sees the subscription.
 */
export function handlePacket(conn: MqttConnection, packet: Packet): Promise<void> | void {
  switch (conn.state) {
    case 'awaiting-connect':
      if (packet.cmd !== 'connect') throw protocolError('the first packet must be CONNECT'); // [MQTT-3.1.0-1]
      return handleConnect(conn, packet);
    case 'connected':
      break;
    case 'connecting':
      throw new Error('a packet was dispatched while CONNECT was in progress');
    case 'closing':
    case 'closed':
      return;
  }
  switch (packet.cmd) {
    case 'connect':
      throw protocolError('a second CONNECT'); // [MQTT-3.1.0-2]
    case 'publish':
      return handlePublish(conn, packet);
    case 'puback':
      return handlePuback(conn, packet);
    case 'pubrec':
      return handlePubrec(conn, packet);
    case 'pubrel':
      return handlePubrel(conn, packet);
    case 'pubcomp':
      return handlePubcomp(conn, packet);
    case 'subscribe':
      return handleSubscribe(conn, packet);
    case 'unsubscribe':
      return handleUnsubscribe(conn, packet);
    case 'pingreq':
      return handlePingreq(conn);
    case 'disconnect':
      return handleDisconnect(conn, packet);
    case 'auth':
      return handleAuth(conn, packet);
    case 'connack':
    case 'suback':
    case 'unsuback':
    case 'pingresp':
      throw protocolError(`a client may not send ${packet.cmd}`);
    default: {
      const never: never = packet;
      throw protocolError(`unknown packet ${(never as Packet).cmd}`);
    }
  }
}
