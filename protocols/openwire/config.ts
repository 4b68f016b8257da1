import { overlayConfig } from '../../src/spi/index.js';

/**
 * The OpenWire adapter's settings, read from its section of the broker configuration (unknown
 * keys ignored). Defaults in one place; ActiveMQ 5.17's values where it has one (noted).
 */
export interface OpenWireConfig {
  /** Largest frame accepted, size prefix excluded; advertised as MaxFrameSize (ActiveMQ: 100 MiB). */
  maxFrameBytes: number;
  /** Largest message body after decompression. */
  maxMessageBytes: number;
  /** Properties of one message, entries of one map body or WireFormatInfo (ActiveMQ: 4096 for WireFormatInfo). */
  maxPropertyEntries: number;
  /** Advertised MaxInactivityDuration (ActiveMQ: 30 s); 0 disables keep-alives and the inactivity check. */
  maxInactivityDurationMs: number;
  /** Advertised MaxInactivityDurationInitalDelay (ActiveMQ: 10 s). */
  maxInactivityInitialDelayMs: number;
  /** A new connection must send its WireFormatInfo within this time (ActiveMQ connect check: 30 s). */
  connectTimeoutMs: number;
  /** Advertise tight encoding (off: every Java client then speaks loose, which is cheaper to serve). */
  tightEncodingEnabled: boolean;
  /** Advertise value caching (off, see above). */
  cacheEnabled: boolean;
  cacheSize: number;
  /** Send stack traces in throwables (off: ExceptionResponse carries class and message only). */
  stackTraceEnabled: boolean;
  /** Highest OpenWire version offered (9–12). */
  version: number;
  /** Sends awaiting the core plus queued commands before the connection stops reading. */
  maxPendingCommands: number;
  /** Producers whose last sequence id is remembered to drop replayed duplicate sends (ActiveMQ producer audit). */
  producerAuditSize: number;
  /** Version reported as ProviderVersion. */
  providerVersion: string;
}

const MiB = 1024 * 1024;

export const OPENWIRE_DEFAULTS: OpenWireConfig = {
  maxFrameBytes: 100 * MiB,
  maxMessageBytes: 64 * MiB,
  maxPropertyEntries: 4096,
  maxInactivityDurationMs: 30_000,
  maxInactivityInitialDelayMs: 10_000,
  connectTimeoutMs: 30_000,
  tightEncodingEnabled: false,
  cacheEnabled: false,
  cacheSize: 1024,
  stackTraceEnabled: false,
  version: 12,
  maxPendingCommands: 1024,
  producerAuditSize: 10_000,
  providerVersion: '0.1.0',
};

/** Keys shared with the broker's `limits` section, when the composition passes them along. */
const ALIASES: Record<string, keyof OpenWireConfig> = {
  maxPendingSendsPerConnection: 'maxPendingCommands',
  maxHeaders: 'maxPropertyEntries',
};

export function readOpenWireConfig(section: Record<string, unknown>): OpenWireConfig {
  const named: Record<string, unknown> = { ...section };
  for (const [alias, key] of Object.entries(ALIASES)) if (named[key] === undefined && named[alias] !== undefined) named[key] = named[alias];
  return overlayConfig('openwire', OPENWIRE_DEFAULTS, named, { min: { version: 9, maxFrameBytes: 1024 }, max: { version: 12 } });
}
