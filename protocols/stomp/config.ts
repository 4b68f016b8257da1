import { overlayConfig } from '../../src/spi/index.js';

/**
 * The STOMP adapter's settings, read from its section of the broker configuration. Defaults in
 * one place; ActiveMQ 5.x values where it has one (noted).
 */
export interface StompConfig {
  /** One frame: command, headers and body. */
  maxFrameBytes: number;
  /** Command and header lines of one frame together (ActiveMQ: 10 KiB per line). */
  maxHeaderBytes: number;
  /** Headers per frame (ActiveMQ: 1000). */
  maxHeaders: number;
  /** Body of a SEND. */
  maxMessageBytes: number;
  /** How long a new connection may take to send CONNECT (ActiveMQ connectionAttemptTimeout: 30 s). */
  idleTimeoutMs: number;
  /** The server never sends or expects heart-beats more often than this. */
  heartbeatMinMs: number;
  /** The server sends heart-beats at least this often when the client asks for them at all. */
  heartbeatMaxMs: number;
  /** A client is dead once silent for its heart-beat interval times this. */
  heartbeatGraceFactor: number;
  /** Prefetch of client-acknowledged queue subscriptions (ActiveMQ: 1000). */
  defaultPrefetch: number;
  /** Prefetch of client-acknowledged topic subscriptions (ActiveMQ: Short.MAX_VALUE). */
  defaultTopicPrefetch: number;
  /** Prefetch of client-acknowledged durable topic subscriptions (ActiveMQ: 100). */
  defaultDurableTopicPrefetch: number;
  /** Unreceipted SEND / ACK operations per connection before the socket is paused. */
  maxPendingSends: number;
  /** After ERROR or DISCONNECT, how long to wait for the flush before dropping the socket. */
  closeTimeoutMs: number;
  /** Version in the CONNECTED `server` header. */
  serverVersion: string;
}

const MiB = 1024 * 1024;

export const STOMP_DEFAULTS: StompConfig = {
  maxFrameBytes: 10 * MiB,
  maxHeaderBytes: 256 * 1024,
  maxHeaders: 1000,
  maxMessageBytes: 10 * MiB,
  idleTimeoutMs: 30_000,
  heartbeatMinMs: 1_000,
  heartbeatMaxMs: 60_000,
  heartbeatGraceFactor: 1.5,
  defaultPrefetch: 1000,
  defaultTopicPrefetch: 32767,
  defaultDurableTopicPrefetch: 100,
  maxPendingSends: 256,
  closeTimeoutMs: 5_000,
  serverVersion: '0.1.0',
};

/** Reads the known keys (unknown keys are ignored); throws on a value of the wrong kind. */
/** Every number is at least 1, but heartbeatMinMs (0: none). */
const STOMP_MINIMUMS: Partial<Record<keyof StompConfig, number>> = Object.fromEntries(
  Object.keys(STOMP_DEFAULTS).map((k) => [k, k === 'heartbeatMinMs' ? 0 : 1]),
);

export function readStompConfig(section: Record<string, unknown>): StompConfig {
  const config = overlayConfig('stomp', STOMP_DEFAULTS, section, { min: STOMP_MINIMUMS });
  if (config.heartbeatMaxMs < config.heartbeatMinMs) throw new Error('stomp.heartbeatMaxMs must be >= stomp.heartbeatMinMs');
  return config;
}
