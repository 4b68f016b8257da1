import {
  boolean, decimal, integer, oneOf, optionalString, policyList, port, string, userList, type ConfigLeaf,
} from './config-leaf.js';

/**
 * THE configuration schema: every key with its default, type and one line of documentation.
 * The loader validates against it and the README's configuration table is generated from it
 * (`npm run docs:config`; a test keeps them in sync).
 */

export const PROTOCOLS = ['stomp', 'mqtt', 'amqp', 'openwire'] as const;
export type ProtocolName = (typeof PROTOCOLS)[number];
export const SOCKET_TRANSPORTS = ['tcp', 'tls'] as const;
export const WEB_SOCKET_TRANSPORTS = ['ws', 'wss'] as const;
export type TransportName = (typeof SOCKET_TRANSPORTS)[number] | (typeof WEB_SOCKET_TRANSPORTS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const MiB = 1024 * 1024;

function listener(defaultPort: number, what: string, defaultHost = '0.0.0.0') {
  return {
    enabled: boolean(true, `open the ${what} listener`),
    host: string(defaultHost, `interface the ${what} listener binds`),
    port: port(defaultPort, `port of the ${what} listener (0: any free port)`),
  };
}

function protocolListeners(name: string, tcpPort: number, tlsPort: number) {
  return { tcp: listener(tcpPort, `${name} TCP`), tls: listener(tlsPort, `${name} TLS`) };
}

export const configSchema = {
  brokerName: string('wharf', 'name of this broker, as clients see it (e.g. in the STOMP CONNECTED `server` header)'),
  dataDir: string('./data', 'directory for the broker\'s files: the self-signed TLS certificate, and the journal when `store.kind` is `journal`'),
  log: {
    level: oneOf(LOG_LEVELS, 'warn', 'log level; logs are JSON lines on stdout'),
  },
  admin: listener(8162, 'admin HTTP', '127.0.0.1'),
  tls: {
    certFile: optionalString('PEM certificate (chain) for the TLS and WSS listeners; unset: a self-signed one in `<dataDir>/tls/`'),
    keyFile: optionalString('PEM private key of `tls.certFile`'),
  },
  ws: listener(61618, 'WebSocket (shared by all adapters)'),
  wss: listener(61619, 'secure WebSocket (shared by all adapters)'),
  stomp: {
    ...protocolListeners('STOMP', 61613, 61614),
    defaultPrefetch: integer(1000, 'prefetch of client-acknowledged STOMP queue subscriptions without `activemq.prefetchSize` (ActiveMQ: 1000)', { min: 1 }),
    defaultTopicPrefetch: integer(32767, 'prefetch of client-acknowledged STOMP topic subscriptions (ActiveMQ: 32767)', { min: 1 }),
    defaultDurableTopicPrefetch: integer(100, 'prefetch of client-acknowledged STOMP durable topic subscriptions (ActiveMQ: 100)', { min: 1 }),
    heartbeatMinMs: integer(1000, 'the server never sends or expects STOMP heart-beats more often than this'),
    heartbeatMaxMs: integer(60_000, 'the server sends STOMP heart-beats at least this often when the client asks for them', { min: 1 }),
  },
  mqtt: {
    ...protocolListeners('MQTT', 1883, 8883),
    receiveMaximum: integer(1024, 'Receive Maximum advertised: inbound QoS 1/2 messages a client may have unacknowledged', { min: 1, max: 65535 }),
    maxInflightMessages: integer(1000, 'outbound QoS 1/2 messages unacknowledged per session (capped by a 5.0 client\'s own Receive Maximum)', { min: 1, max: 65535 }),
    maxQueuedMessages: integer(1000, 'messages a session queue holds for a slow or offline client before `mqtt.queueOverflow` applies', { min: 1 }),
    maxQueuedBytes: integer(16 * MiB, 'bytes a session queue holds before `mqtt.queueOverflow` applies (16 MiB)', { min: 1024 }),
    queueOverflow: oneOf(['drop-oldest', 'drop-newest'], 'drop-oldest', 'what a full session queue drops: its oldest message or the new one'),
    maxClientIdLength: integer(256, 'longest client identifier accepted', { min: 23 }),
    maxTopicLevels: integer(128, 'most levels in a topic name or filter', { min: 1, max: 128 }),
    topicAliasMaximum: integer(64, 'Topic Alias Maximum advertised to MQTT 5 clients (0: no inbound aliases)', { min: 0, max: 65535 }),
    maxSubscriptionsPerSession: integer(1000, 'subscriptions one session may hold', { min: 1 }),
    maxSessionExpirySeconds: integer(4294967295, 'cap on an MQTT 5 Session Expiry Interval (4294967295: never expires)', { min: 0, max: 4294967295 }),
    v3SessionExpirySeconds: integer(4294967295, 'expiry of MQTT 3.x persistent sessions (4294967295: never, as ActiveMQ durable subscriptions)', { min: 0, max: 4294967295 }),
    maxKeepAliveSeconds: integer(0, 'cap on a client\'s Keep Alive, sent to MQTT 5 clients as Server Keep Alive (0: no cap)', { min: 0, max: 65535 }),
    drainTimeoutMs: integer(30_000, 'a subscriber that reads nothing this long while its queue is full is disconnected', { min: 1 }),
    maxRetainedMessages: integer(100_000, 'retained messages kept broker-wide', { min: 1 }),
    sysIntervalMs: integer(10_000, 'how often the `$SYS/broker/...` topics (uptime, clients, sessions, retained, messages received/sent) are published, retained (0: never)', { min: 0 }),
  },
  amqp: protocolListeners('AMQP', 5672, 5671),
  openwire: {
    ...protocolListeners('OpenWire', 61616, 61617),
    maxInactivityDurationMs: integer(30_000, 'MaxInactivityDuration advertised (ActiveMQ: 30 s); 0 disables keep-alives and the inactivity check'),
    maxInactivityInitialDelayMs: integer(10_000, 'MaxInactivityDurationInitalDelay advertised (ActiveMQ: 10 s)'),
    tightEncodingEnabled: boolean(false, 'offer tight encoding (off: clients speak loose, which is cheaper to serve)'),
    cacheEnabled: boolean(false, 'offer value caching'),
    stackTraceEnabled: boolean(false, 'send stack traces in exceptions (off: class and message only)'),
    version: integer(12, 'highest OpenWire version offered', { min: 9, max: 12 }),
    producerAuditSize: integer(10_000, 'producers whose last sequence id is remembered to drop sends replayed after failover', { min: 1 }),
  },
  limits: {
    maxConnections: integer(1000, 'open client connections, all listeners together; more are closed at once', { min: 1 }),
    maxMessageBytes: integer(16 * MiB, 'largest message body accepted (16 MiB)', { min: 1 }),
    maxFrameBytes: integer(17 * MiB, 'largest protocol frame a decoder buffers, headers included (17 MiB)', { min: 1024 }),
    maxHeaderBytes: integer(256 * 1024, 'command and header lines of one frame together (256 KiB)', { min: 256 }),
    maxHeaders: integer(1000, 'most headers (or properties) in one frame', { min: 1 }),
    maxWebSocketMessageBytes: integer(17 * MiB, 'largest WebSocket message received (17 MiB)', { min: 1024 }),
    idleTimeoutMs: integer(30_000, 'a new connection must complete its protocol handshake (e.g. STOMP CONNECT) within this time (ActiveMQ: 30 s)', { min: 1 }),
    heartbeatGraceFactor: decimal(1.5, 'a peer is dead once silent for its heart-beat interval times this', { min: 1, max: 10 }),
    maxPendingSends: integer(256, 'unconfirmed sends (and acks) per connection before an adapter stops reading it', { min: 1 }),
    closeTimeoutMs: integer(5000, 'after a protocol error or disconnect, how long the flush of the last frames may take', { min: 1 }),
    writeHighWaterMarkBytes: integer(64 * 1024, 'bytes queued for a connection before deliveries to it pause', { min: 1024 }),
  },
  core: {
    maxRedeliveries: integer(6, 'failed deliveries after the first before a message is dead-lettered (ActiveMQ: 6)'),
    deadLetterQueue: string('ActiveMQ.DLQ', 'queue that receives dead-lettered messages'),
    deadLetterNonPersistent: boolean(false, 'dead-letter non-persistent messages too (ActiveMQ drops them)'),
    memoryLimitBytes: integer(512 * MiB, 'message bytes held in memory before producers are slowed (512 MiB)', { min: 1 }),
    expirySweepMs: integer(30_000, 'how often queues are swept for expired messages (0: never)'),
    policies: policyList('per-destination settings, first match wins: `[{"match":"orders.>","maxRedeliveries":3,"deadLetterQueue":"DLQ.{name}","deliveryDelayMs":0,"retentionMs":0,"visibilityTimeoutMs":30000}]` (ActiveMQ destinationPolicy; SQS queue attributes)'),
    scheduledDelivery: boolean(false, 'hold back messages with an `AMQ_SCHEDULED_DELAY` property (ms) for that long, and repeat them `AMQ_SCHEDULED_REPEAT` times `AMQ_SCHEDULED_PERIOD` ms apart, in any protocol; off by default as ActiveMQ\'s `schedulerSupport` (which then delivers them at once)'),
    duplicateWindowMs: integer(300_000, 'how long a `_AMQ_DUPL_ID` property is remembered per destination: a message repeating one within it is acknowledged and dropped (SQS deduplication: 5 min); 0: off'),
    duplicateMaxIds: integer(100_000, 'most duplicate-detection ids remembered at once (the oldest are forgotten first)', { min: 1 }),
    maxScheduledRepeats: integer(1000, 'most `AMQ_SCHEDULED_REPEAT` one send may ask for when `core.scheduledDelivery` is on (each repeat is a copy stored at the send); more is refused', { min: 0 }),
    browseMaxMessages: integer(400, 'most messages one queue browse returns (ActiveMQ\'s maxBrowsePageSize: 400)', { min: 1 }),
    users: userList('users allowed to connect; from text, JSON: `[{"username":"app","password":"secret"}]`'),
    allowAnonymous: boolean(true, 'accept connections without a username'),
  },
  store: {
    kind: oneOf(['memory', 'journal'], 'journal', 'message store: `journal` (files in `<dataDir>/journal`, survives crashes) or `memory` (nothing survives a restart)'),
    sync: oneOf(['always', 'interval'], 'always', '`always`: a persistent message is acknowledged after fdatasync (a consumer\'s acknowledgement outside a transaction is written at once and synced with the next commit or within `store.syncIntervalMs`: a machine crash may redeliver it); `interval`: after the write, with fdatasync every `store.syncIntervalMs` (a machine crash may lose that much)'),
    syncIntervalMs: integer(100, 'fdatasync period when `store.sync` is `interval`; under `always`, the longest a consumer\'s acknowledgement waits for an fdatasync', { min: 1 }),
    inlineSync: oneOf(['auto', 'on', 'off'], 'auto', 'where journal writes and fdatasyncs run: `on` in the event loop, once per loop turn for all that was committed in it (no thread-pool round trip: lower latency, but the loop waits for the disk), `off` in libuv\'s thread pool (the loop never waits for the disk); `auto`: `on` unless the journal is on a network file system (NFS such as EFS, SMB, FUSE), where an fdatasync takes milliseconds'),
    segmentBytes: integer(64 * MiB, 'journal segment size before a new segment starts (64 MiB)', { min: 16 * 1024 }),
    maxBytes: integer(0, 'journal size limit in bytes (0: none); at the limit producers of persistent messages wait or are refused, see `store.onFull`'),
    onFull: oneOf(['block', 'fail'], 'block', 'at `store.maxBytes`: `block` holds persistent sends until space is freed, `fail` refuses them with an error'),
    skipCorrupt: boolean(false, 'on a corrupt journal record in the middle of the journal, quarantine it and start anyway (default: refuse to start)'),
  },
  ha: {
    enabled: boolean(true, 'with the journal, take part in an active/standby pair on `dataDir` (a lone process simply becomes active)'),
    leaseMs: integer(600, 'a standby takes over once the active has not renewed its lease for this long', { min: 100 }),
    renewMs: integer(100, 'how often the active renews its lease', { min: 10 }),
    pollMs: integer(50, 'how often a standby looks at the lease', { min: 10 }),
  },
};

export type ConfigSchema = typeof configSchema;

type ConfigOf<S> = S extends ConfigLeaf<infer T> ? T : { [K in keyof S]: ConfigOf<S[K]> };

/** The configuration after defaults, file, environment and flags are merged and checked. */
export type ResolvedConfig = ConfigOf<ConfigSchema>;

export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** The settings of one listener. */
export type ListenerConfig = ResolvedConfig['ws'];
