import type { IAuthPacket } from 'mqtt-packet';
import type { MqttConnection } from '../connection.js';
import { protocolError } from '../errors.js';

/**
 * AUTH. Enhanced authentication (MQTT 5 §4.12) is not implemented: a CONNECT naming an
 * Authentication Method is refused with 0x8C (see connect.ts), so no exchange is ever under way
 * and any AUTH is a Protocol Error (§4.12: AUTH without an Authentication Method in CONNECT).
 */
export function handleAuth(_conn: MqttConnection, _packet: IAuthPacket): never {
  throw protocolError('AUTH without enhanced authentication');
}
