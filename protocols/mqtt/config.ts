/**
 * The MQTT adapter's settings, read from AdapterContext.config: the broker-wide `limits.*` keys
 * plus the `mqtt.*` section (flattened by the config layer). Every key has its default here.
 */
export interface MqttConfig {
  /** Largest packet accepted, also advertised as Maximum Packet Size (limits.maxFrameBytes). */
  maxPacketBytes: number;
  /** A new connection must send CONNECT within this time (limits.idleTimeoutMs). */
  connectTimeoutMs: number;
  /** A client silent for keepAlive × this is disconnected [MQTT-3.1.2-22] (limits.heartbeatGraceFactor). */
  keepAliveGraceFactor: number;
  /** Unconfirmed inbound sends per connection before reading pauses (limits.maxPendingSends). */
  maxPendingSends: number;
  /** How long closing a connection may take to flush (limits.closeTimeoutMs). */
  closeTimeoutMs: number;
  /** Socket bytes queued before deliveries to it wait (limits.writeHighWaterMarkBytes). */
  writeHighWaterMarkBytes: number;
  /** Receive Maximum we advertise: inbound QoS 1/2 PUBLISHes unacknowledged at once; also bounds the inbound QoS 2 window of 3.1.1 clients. */
  receiveMaximum: number;
  /** Outbound QoS 1/2 messages unacknowledged at once, per session (caps a 5.0 client's Receive Maximum; the window of 3.x clients). */
  maxInflightMessages: number;
  /** Messages waiting per session (offline, or behind a slow socket) before the overflow policy applies. */
  maxQueuedMessages: number;
  /** Body bytes waiting per session before the overflow policy applies. */
  maxQueuedBytes: number;
  /** What a full session queue does with one more message: drop its oldest waiting message, or the new one. */
  queueOverflow: 'drop-oldest' | 'drop-newest';
  /** Longest client identifier accepted (3.1 allows 23; 3.1.1 and 5.0 let the server choose). */
  maxClientIdLength: number;
  /** Most levels in a topic name or filter, checked before any matching. */
  maxTopicLevels: number;
  /** Topic Alias Maximum we advertise to 5.0 clients (0: no inbound aliases). */
  topicAliasMaximum: number;
  /** Most subscriptions in one session. */
  maxSubscriptionsPerSession: number;
  /** Cap on a 5.0 client's Session Expiry Interval, seconds (4294967295: never expires). */
  maxSessionExpirySeconds: number;
  /** Session expiry of 3.x sessions with clean session 0, seconds (4294967295: never, as ActiveMQ's durable subscriptions). */
  v3SessionExpirySeconds: number;
  /** Cap on a client's Keep Alive, seconds; a 5.0 client is told through Server Keep Alive (0: no cap). */
  maxKeepAliveSeconds: number;
  /** A connection whose socket stays above the high-water mark this long is closed (frozen subscriber). */
  drainTimeoutMs: number;
  /** Resolution of the shared timer that checks keep-alives, drain timeouts and deadlines. */
  tickMs: number;
  /** Retained messages kept at most; a new topic beyond it is not retained. */
  maxRetainedMessages: number;
  /** Prefix of the Response Information returned to 5.0 clients that request it (the client id is appended). */
  responseTopicPrefix: string;
  /** How often the `$SYS/broker/...` topics are published (0: never). */
  sysIntervalMs: number;
}

export const NEVER_EXPIRES = 0xffffffff;

export const MQTT_DEFAULTS: MqttConfig = {
  maxPacketBytes: 17 * 1024 * 1024,
  connectTimeoutMs: 30_000,
  keepAliveGraceFactor: 1.5,
  maxPendingSends: 256,
  closeTimeoutMs: 5000,
  writeHighWaterMarkBytes: 64 * 1024,
  receiveMaximum: 1024,
  maxInflightMessages: 1000,
  maxQueuedMessages: 1000,
  maxQueuedBytes: 16 * 1024 * 1024,
  queueOverflow: 'drop-oldest',
  maxClientIdLength: 256,
  maxTopicLevels: 128,
  topicAliasMaximum: 64,
  maxSubscriptionsPerSession: 1000,
  maxSessionExpirySeconds: NEVER_EXPIRES,
  v3SessionExpirySeconds: NEVER_EXPIRES,
  maxKeepAliveSeconds: 0,
  drainTimeoutMs: 30_000,
  tickMs: 1000,
  maxRetainedMessages: 100_000,
  responseTopicPrefix: 'response/',
  sysIntervalMs: 10_000,
};

/** The broker-wide `limits.*` names of settings this adapter shares. */
const FROM_LIMITS: Partial<Record<keyof MqttConfig, string>> = {
  maxPacketBytes: 'maxFrameBytes',
  connectTimeoutMs: 'idleTimeoutMs',
  keepAliveGraceFactor: 'heartbeatGraceFactor',
};

/** The largest Remaining Length MQTT can express, plus a 5-byte fixed header. */
const MQTT_MAX_PACKET = 268_435_455 + 5;

export function resolveMqttConfig(raw: Record<string, unknown>): MqttConfig {
  const out: Record<string, unknown> = { ...MQTT_DEFAULTS };
  for (const key of Object.keys(MQTT_DEFAULTS) as Array<keyof MqttConfig>) {
    const value = raw[key] ?? raw[FROM_LIMITS[key] ?? ''];
    if (value !== undefined && typeof value === typeof MQTT_DEFAULTS[key]) out[key] = value;
  }
  const config = out as unknown as MqttConfig;
  config.maxPacketBytes = Math.min(config.maxPacketBytes, MQTT_MAX_PACKET);
  config.receiveMaximum = clamp(config.receiveMaximum, 1, 65535);
  config.maxInflightMessages = clamp(config.maxInflightMessages, 1, 65535);
  config.topicAliasMaximum = clamp(config.topicAliasMaximum, 0, 65535);
  if (config.queueOverflow !== 'drop-newest') config.queueOverflow = 'drop-oldest';
  return config;
}

function clamp(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.floor(v)));
}
