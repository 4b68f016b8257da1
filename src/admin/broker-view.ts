import type { CoreStats } from '../core/broker-core.js';
import type { StoreHealth } from '../store/store.js';

/** What the admin endpoints read from the running broker; core and store are absent while starting. */
export interface BrokerView {
  core?: { readonly serving: boolean; stats(): CoreStats };
  store?: { health(): StoreHealth };
  adapters: ReadonlyArray<{ readonly name: string; readonly connectionCount: number }>;
}

export type Readiness = { ready: true } | { ready: false; reason: string };

/** Ready when the core is serving and the store is healthy. */
export function readiness(view: BrokerView): Readiness {
  if (!view.core || !view.store) return { ready: false, reason: 'starting' };
  const health = view.store.health();
  if (!health.ok) return { ready: false, reason: `store failed: ${health.error ?? 'unknown error'}` };
  if (!view.core.serving) return { ready: false, reason: 'core is not serving (stopping)' };
  return { ready: true };
}
