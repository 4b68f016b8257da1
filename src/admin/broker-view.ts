import type { CoreStats } from '../core/broker-core.js';
import type { StoreHealth } from '../store/store.js';

/** The store's cumulative write counters, as /metrics shows them. */
export interface StoreCounters {
  commits: number;
  syncs: number;
  bytesWritten: number;
}

/** What the admin endpoints read from the running broker; core and store are absent while starting. */
export interface BrokerView {
  core?: { readonly serving: boolean; stats(): CoreStats };
  /** `stats` when the store keeps write counters (the journal does). */
  store?: { health(): StoreHealth; stats?(): StoreCounters };
  adapters: ReadonlyArray<{ readonly name: string; readonly connectionCount: number }>;
  /** Present when the process is part of an active/standby pair. */
  ha?: { role(): string; epoch(): number };
}

export type Readiness = { ready: true } | { ready: false; reason: string };

/** Ready when the core is serving and the store is healthy. */
export function readiness(view: BrokerView): Readiness {
  if (view.ha && view.ha.role() !== 'active') return { ready: false, reason: view.ha.role() };
  if (!view.core || !view.store) return { ready: false, reason: 'starting' };
  const health = view.store.health();
  if (!health.ok) return { ready: false, reason: `store failed: ${health.error ?? 'unknown error'}` };
  if (!view.core.serving) return { ready: false, reason: 'core is not serving (stopping)' };
  return { ready: true };
}
