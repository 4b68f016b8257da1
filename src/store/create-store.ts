import type { Logger } from 'pino';
import { MemoryStore } from './memory-store.js';
import type { Store } from './store.js';

/** What the store factory gets: the `store` section of the configuration plus `dataDir`. */
export interface StoreOptions {
  kind: 'memory' | 'journal';
  dataDir: string;
}

/** The one place that maps `store.kind` to a Store implementation. */
export function createStore(options: StoreOptions, _logger: Logger): Store {
  switch (options.kind) {
    case 'memory':
      return new MemoryStore();
    case 'journal':
      throw new Error('store.kind "journal" is not available yet; use "memory"');
    default: {
      const never: never = options.kind;
      throw new Error(`unknown store kind ${String(never)}`);
    }
  }
}
