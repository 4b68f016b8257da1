import type { CoreConfig } from '../core/broker-core.js';
import type { ResolvedConfig } from './schema.js';

/** The core's settings: the `core` section plus `brokerName` and `limits.maxMessageBytes`. */
export function coreConfigOf(config: ResolvedConfig): CoreConfig {
  return { ...config.core, brokerName: config.brokerName, maxMessageBytes: config.limits.maxMessageBytes };
}

/** Keys of a protocol section that configure its listeners, not its adapter. */
const LISTENER_KEYS = new Set(['tcp', 'tls']);

/**
 * What an adapter receives as `AdapterContext.config`: every `limits` key, overlaid with the
 * adapter settings of its own section (e.g. `stomp.defaultPrefetch`), as one flat object.
 */
export function adapterConfigOf(config: ResolvedConfig, protocol: string): Record<string, unknown> {
  const section = (config as unknown as Record<string, Record<string, unknown> | undefined>)[protocol] ?? {};
  const settings = Object.fromEntries(Object.entries(section).filter(([key]) => !LISTENER_KEYS.has(key)));
  return { ...config.limits, ...settings };
}
