import { isUtf8 } from 'node:buffer';
import { randomBytes, randomUUID } from 'node:crypto';
import type { IConnackPacket, IConnectPacket } from 'mqtt-packet';
import { toBrokerError, type Principal } from '../../../src/spi/index.js';
import type { MqttConfig } from '../config.js';
import type { ConnectionState, MqttConnection } from '../connection.js';
import { REASON, reasonFor, v3ConnackCode, type ReasonCode } from '../errors.js';
import type { StoredPublish } from '../message-mapping.js';
import type { ProtocolLevel } from '../packet-codec.js';
import type { WillRequest } from '../session-registry.js';
import { topicNameProblem } from '../topic-mapping.js';

/** The largest Maximum Packet Size worth announcing (above it, MQTT's own limit applies). */
const MQTT_MAX_PACKET = 268_435_455;

/**
 * CONNECT, as an ordered list of steps: check the protocol level and the client's limits, the
 * client identifier and the will; authenticate; settle keep alive and session expiry; take the
 * session (resuming or discarding an earlier one, taking it over from another connection); answer
 * CONNACK; then attach, which resends what is unacknowledged. Any refusal is a CONNACK with an
 * error code followed by closing the connection [MQTT-3.2.2-5].
 */
export async function handleConnect(conn: MqttConnection, p: IConnectPacket): Promise<void> {
  conn.transition('connect');
  const { services } = conn;
  const { config } = services;
  const level = p.protocolVersion as ProtocolLevel;
  conn.level = level;

  // 1. Protocol name and level agree (3.1 is `MQIsdp`, 3.1.1 and 5.0 are `MQTT`) [MQTT-3.1.2-1].
  if ((level === 3) !== (p.protocolId === 'MQIsdp')) return refuse(conn, REASON.UNSUPPORTED_PROTOCOL_VERSION, 'protocol name and level disagree');

  // 2. The client's limits (5.0).
  const props = p.properties ?? {};
  if (level === 5) {
    if (props.authenticationMethod !== undefined) return refuse(conn, REASON.BAD_AUTHENTICATION_METHOD, 'enhanced authentication is not supported');
    if (props.receiveMaximum === 0 || props.maximumPacketSize === 0) return refuse(conn, REASON.PROTOCOL_ERROR, 'Receive Maximum and Maximum Packet Size must not be 0');
    conn.clientReceiveMaximum = props.receiveMaximum ?? 65535;
    conn.clientMaxPacketBytes = props.maximumPacketSize ?? 0;
    conn.clientTopicAliasMaximum = props.topicAliasMaximum ?? 0;
    conn.problemInformation = props.requestProblemInformation !== false;
  }

  // 3. The client identifier: 3.1 needs one of 1–23 characters; 3.1.1 accepts an empty one only
  //    with clean session [MQTT-3.1.3-8]; otherwise an empty one gets an assigned id [MQTT-3.1.3-6].
  const cleanStart = p.clean !== false;
  let clientId = p.clientId;
  let assigned = false;
  if (clientId.length === 0) {
    if (level === 3 || (level === 4 && !cleanStart)) return refuse(conn, REASON.CLIENT_IDENTIFIER_NOT_VALID, 'a client identifier is required');
    clientId = `wharf-${randomBytes(12).toString('base64url')}`;
    assigned = true;
  }
  if (clientId.length > (level === 3 ? 23 : config.maxClientIdLength)) {
    return refuse(conn, REASON.CLIENT_IDENTIFIER_NOT_VALID, 'the client identifier is too long');
  }
  conn.clientId = clientId;

  // 4. The will.
  const will = p.will ? willOf(p.will, clientId, config) : undefined;
  if (typeof will === 'number') return refuse(conn, will, 'the will is not valid');

  // 5. Authentication.
  let principal: Principal;
  try {
    principal = await services.core.authenticate({ username: p.username, password: p.password?.toString('utf8') });
  } catch (err) {
    const error = toBrokerError(err);
    // Credentials given and refused: "bad user name or password"; none given: "not authorized".
    const badCredentials = error.code === 'NOT_AUTHORIZED' && p.username !== undefined;
    return refuse(conn, badCredentials ? REASON.BAD_USER_NAME_OR_PASSWORD : reasonFor(error, 'connack'), 'not authorized');
  }
  await services.ready;
  if (conn.state !== 'connecting') return;

  // 6. Keep alive: ours caps the client's (5.0 clients are told via Server Keep Alive [MQTT-3.2.2-21]).
  let keepAliveSeconds = p.keepalive ?? 0;
  const capped = config.maxKeepAliveSeconds > 0 && (keepAliveSeconds === 0 || keepAliveSeconds > config.maxKeepAliveSeconds);
  if (capped) keepAliveSeconds = config.maxKeepAliveSeconds;
  conn.keepAliveMs = keepAliveSeconds * 1000;

  // 7. Session expiry: 5.0 asks for it; 3.x clean session 0 means the configured lifetime.
  const requestedExpiry = level === 5 ? (props.sessionExpiryInterval ?? 0) : cleanStart ? 0 : config.v3SessionExpirySeconds;
  const expirySeconds = level === 5 ? Math.min(requestedExpiry, config.maxSessionExpirySeconds) : requestedExpiry;
  conn.connectExpirySeconds = expirySeconds;

  // 8. The session.
  let acquired: Awaited<ReturnType<typeof services.sessions.acquire>>;
  try {
    acquired = await services.sessions.acquire({
      clientId, cleanStart, expirySeconds, principal, remoteAddress: conn.transport.remoteAddress, will,
    });
  } catch (err) {
    return refuse(conn, reasonFor(toBrokerError(err), 'connack'), 'the session is not available');
  }
  const { session, present } = acquired;

  // 9. CONNACK, then the session is live on this connection.
  const connack: IConnackPacket = { cmd: 'connack', sessionPresent: level !== 3 && present };
  if (level === 5) {
    connack.reasonCode = REASON.SUCCESS;
    const properties: NonNullable<IConnackPacket['properties']> = { receiveMaximum: config.receiveMaximum };
    if (config.topicAliasMaximum > 0) properties.topicAliasMaximum = config.topicAliasMaximum;
    if (config.maxPacketBytes <= MQTT_MAX_PACKET) properties.maximumPacketSize = config.maxPacketBytes;
    if (expirySeconds !== requestedExpiry) properties.sessionExpiryInterval = expirySeconds;
    if (assigned) properties.assignedClientIdentifier = clientId;
    if (capped) properties.serverKeepAlive = keepAliveSeconds;
    if (props.requestResponseInformation) properties.responseInformation = `${config.responseTopicPrefix}${clientId}`;
    connack.properties = properties;
  } else {
    connack.returnCode = 0;
  }
  // The connection may have gone while the session was being taken: then let the session go again.
  const live = (conn.state as ConnectionState) === 'connecting';
  if (live) {
    conn.send(connack);
    conn.session = session;
    conn.transition('accept');
  }
  session.attach(conn);
  if (!live) await services.sessions.release(conn, session, false);
}

/** Answers CONNACK with an error and closes [MQTT-3.2.2-5]; 3.x gets the nearest return code. */
function refuse(conn: MqttConnection, reason: ReasonCode, message: string): void {
  conn.services.logger.debug({ clientId: conn.clientId, reason, message }, 'MQTT CONNECT refused');
  if (conn.state !== 'connecting') return;
  const connack: IConnackPacket = conn.level === 5
    ? { cmd: 'connack', sessionPresent: false, reasonCode: reason, ...(conn.problemInformation ? { properties: { reasonString: message } } : {}) }
    : { cmd: 'connack', sessionPresent: false, returnCode: v3ConnackCode(reason) };
  conn.send(connack);
  conn.transition('refuse');
  conn.endAfterFlush();
}

/** The will as a stored message, or the reason code it is refused with. */
function willOf(w: NonNullable<IConnectPacket['will']>, clientId: string, config: MqttConfig): WillRequest | ReasonCode {
  if (topicNameProblem(w.topic, config.maxTopicLevels)) return REASON.TOPIC_NAME_INVALID; // [MQTT-3.1.3-11]
  const payload = Buffer.from(w.payload);
  const { willDelayInterval, ...properties } = w.properties ?? {};
  if (properties.payloadFormatIndicator && !isUtf8(payload)) return REASON.PAYLOAD_FORMAT_INVALID;
  const message: StoredPublish = {
    topic: w.topic, payload, qos: w.qos ?? 0, retain: w.retain === true, id: randomUUID(), publisher: clientId,
    timestamp: Date.now(), expiresAt: 0,
  };
  if (Object.keys(properties).length > 0) message.properties = properties;
  return { message, delaySeconds: willDelayInterval ?? 0 };
}
