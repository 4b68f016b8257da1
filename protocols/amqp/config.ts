import { overlayConfig } from '../../src/spi/index.js';

/**
 * The AMQP adapter's settings, read from its section of the broker configuration (the `limits`
 * keys overlaid with the `amqp` section). Defaults in one place; ActiveMQ 5.x values where it has
 * one (noted).
 */
export interface AmqpConfig {
  /** Largest frame we accept, advertised as max-frame-size in our open (at least 512). */
  maxFrameBytes: number;
  /** Advertised idle-time-out: a peer silent this long is closed (ActiveMQ: 30 s; 0: none). */
  idleTimeoutMs: number;
  /** Highest channel number a peer may use, advertised as channel-max (ActiveMQ: 32767). */
  channelMax: number;
  /** The protocol header, SASL and open must be done within this time. */
  connectTimeoutMs: number;
  /** Credit window of each link a client sends on (ActiveMQ producerCredit: 1000). */
  producerCredit: number;
  /** Largest message body accepted; bounds the assembly of multi-frame transfers too. */
  maxMessageBytes: number;
  /** After we close with an error, how long the peer may take before the socket is dropped. */
  closeTimeoutMs: number;
}

const MiB = 1024 * 1024;
/** The spec's floor for max-frame-size (MIN-MAX-FRAME-SIZE). */
export const MIN_MAX_FRAME_BYTES = 512;

export const AMQP_DEFAULTS: AmqpConfig = {
  maxFrameBytes: MiB,
  idleTimeoutMs: 30_000,
  channelMax: 32_767,
  connectTimeoutMs: 30_000,
  producerCredit: 1000,
  maxMessageBytes: 16 * MiB,
  closeTimeoutMs: 5_000,
};

const MINIMUM: Record<keyof AmqpConfig, number> = {
  maxFrameBytes: MIN_MAX_FRAME_BYTES,
  idleTimeoutMs: 0,
  channelMax: 0,
  connectTimeoutMs: 1,
  producerCredit: 1,
  maxMessageBytes: 1,
  closeTimeoutMs: 1,
};

const MAXIMUM: Partial<Record<keyof AmqpConfig, number>> = {
  maxFrameBytes: 0xffff_ffff,
  idleTimeoutMs: 0xffff_ffff,
  channelMax: 0xffff,
};

/** Reads the known keys (others are ignored); throws on a value of the wrong kind. */
export function readAmqpConfig(section: Record<string, unknown>): AmqpConfig {
  return overlayConfig('amqp', AMQP_DEFAULTS, section, { min: MINIMUM, max: MAXIMUM, integers: true });
}
