import type { BrokerError, ErrorCode } from '../../src/spi/index.js';

/** MQTT 5 reason codes the broker sends (MQTT 5.0 §2.4). Values below 0x80 are successes. */
export const REASON = {
  SUCCESS: 0x00,
  GRANTED_QOS_1: 0x01,
  GRANTED_QOS_2: 0x02,
  DISCONNECT_WITH_WILL: 0x04,
  NO_MATCHING_SUBSCRIBERS: 0x10,
  NO_SUBSCRIPTION_EXISTED: 0x11,
  UNSPECIFIED_ERROR: 0x80,
  MALFORMED_PACKET: 0x81,
  PROTOCOL_ERROR: 0x82,
  IMPLEMENTATION_SPECIFIC_ERROR: 0x83,
  UNSUPPORTED_PROTOCOL_VERSION: 0x84,
  CLIENT_IDENTIFIER_NOT_VALID: 0x85,
  BAD_USER_NAME_OR_PASSWORD: 0x86,
  NOT_AUTHORIZED: 0x87,
  SERVER_UNAVAILABLE: 0x88,
  SERVER_BUSY: 0x89,
  SERVER_SHUTTING_DOWN: 0x8b,
  BAD_AUTHENTICATION_METHOD: 0x8c,
  KEEP_ALIVE_TIMEOUT: 0x8d,
  SESSION_TAKEN_OVER: 0x8e,
  TOPIC_FILTER_INVALID: 0x8f,
  TOPIC_NAME_INVALID: 0x90,
  PACKET_IDENTIFIER_IN_USE: 0x91,
  PACKET_IDENTIFIER_NOT_FOUND: 0x92,
  RECEIVE_MAXIMUM_EXCEEDED: 0x93,
  TOPIC_ALIAS_INVALID: 0x94,
  PACKET_TOO_LARGE: 0x95,
  QUOTA_EXCEEDED: 0x97,
  PAYLOAD_FORMAT_INVALID: 0x99,
  SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: 0x9e,
  MAXIMUM_CONNECT_TIME: 0xa0,
} as const;

export type ReasonCode = (typeof REASON)[keyof typeof REASON];

/** MQTT 3.1 / 3.1.1 CONNACK return codes (3.1.1 §3.2.2.3). */
export const V3_CONNACK = {
  ACCEPTED: 0,
  UNACCEPTABLE_PROTOCOL_VERSION: 1,
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_USER_NAME_OR_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
} as const;

/** 3.1.1 SUBACK failure return code. */
export const V3_SUBACK_FAILURE = 0x80;

/**
 * A violation by the client that ends the connection: MQTT 5 clients get a DISCONNECT with
 * `reason` first; MQTT 3 clients are simply disconnected (3.1.1 has no server DISCONNECT).
 */
export class MqttProtocolError extends Error {
  constructor(
    readonly reason: ReasonCode,
    message: string,
  ) {
    super(message);
    this.name = 'MqttProtocolError';
  }
}

export function protocolError(message: string): MqttProtocolError {
  return new MqttProtocolError(REASON.PROTOCOL_ERROR, message);
}

export function malformed(message: string): MqttProtocolError {
  return new MqttProtocolError(REASON.MALFORMED_PACKET, message);
}

/** The one place core errors become MQTT reason codes; `context` picks the packet they go into. */
export type ReasonContext = 'connack' | 'publish' | 'subscribe' | 'disconnect';

const BY_CODE: Partial<Record<ErrorCode, ReasonCode>> = {
  INVALID_ADDRESS: REASON.TOPIC_NAME_INVALID,
  INVALID_SELECTOR: REASON.TOPIC_FILTER_INVALID,
  INVALID_MESSAGE: REASON.PAYLOAD_FORMAT_INVALID,
  MESSAGE_TOO_LARGE: REASON.PACKET_TOO_LARGE,
  CLIENT_ID_IN_USE: REASON.CLIENT_IDENTIFIER_NOT_VALID,
  CLIENT_ID_REQUIRED: REASON.CLIENT_IDENTIFIER_NOT_VALID,
  NOT_AUTHORIZED: REASON.NOT_AUTHORIZED,
  SUBSCRIPTION_IN_USE: REASON.IMPLEMENTATION_SPECIFIC_ERROR,
  RESOURCE_LIMIT: REASON.QUOTA_EXCEEDED,
  STORE_FAILED: REASON.SERVER_UNAVAILABLE,
  STORE_FULL: REASON.QUOTA_EXCEEDED,
  SESSION_CLOSED: REASON.UNSPECIFIED_ERROR,
  SHUTDOWN: REASON.SERVER_UNAVAILABLE,
  TAKEOVER: REASON.SESSION_TAKEN_OVER,
};

export function reasonFor(error: BrokerError, context: ReasonContext): ReasonCode {
  if (context === 'subscribe' && error.code === 'INVALID_ADDRESS') return REASON.TOPIC_FILTER_INVALID;
  if (context === 'disconnect' && error.code === 'SHUTDOWN') return REASON.SERVER_SHUTTING_DOWN;
  return BY_CODE[error.code] ?? REASON.UNSPECIFIED_ERROR;
}

/** A v5 CONNACK reason code as the closest 3.1.1 return code. */
export function v3ConnackCode(reason: ReasonCode): number {
  switch (reason) {
    case REASON.SUCCESS: return V3_CONNACK.ACCEPTED;
    case REASON.UNSUPPORTED_PROTOCOL_VERSION: return V3_CONNACK.UNACCEPTABLE_PROTOCOL_VERSION;
    case REASON.CLIENT_IDENTIFIER_NOT_VALID: return V3_CONNACK.IDENTIFIER_REJECTED;
    case REASON.BAD_USER_NAME_OR_PASSWORD: return V3_CONNACK.BAD_USER_NAME_OR_PASSWORD;
    case REASON.NOT_AUTHORIZED:
    case REASON.BAD_AUTHENTICATION_METHOD: return V3_CONNACK.NOT_AUTHORIZED;
    default: return V3_CONNACK.SERVER_UNAVAILABLE;
  }
}
