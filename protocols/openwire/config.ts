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
  const config: OpenWireConfig = { ...OPENWIRE_DEFAULTS };
  const set = config as unknown as Record<string, unknown>;
  for (const [alias, key] of Object.entries(ALIASES)) if (section[key] === undefined && section[alias] !== undefined) set[key] = section[alias];
  for (const key of Object.keys(OPENWIRE_DEFAULTS) as Array<keyof OpenWireConfig>) {
    const value = section[key];
    if (value === undefined) continue;
    const expected = typeof OPENWIRE_DEFAULTS[key];
    if (typeof value !== expected) throw new Error(`openwire.${key} must be a ${expected}`);
    if (typeof value === 'number' && (!Number.isFinite(value) || value < 0)) throw new Error(`openwire.${key} must be >= 0`);
    set[key] = value;
  }
  if (config.version < 9 || config.version > 12) throw new Error('openwire.version must be 9–12');
  if (config.maxFrameBytes < 1024) throw new Error('openwire.maxFrameBytes must be >= 1024');
  return config;
}
