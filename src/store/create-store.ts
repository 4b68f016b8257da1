import path from 'node:path';
import type { Logger } from 'pino';
import { JournalStore } from './journal/index.js';
import { MemoryStore } from './memory-store.js';
import type { Store } from './store.js';

/** What the store factory gets: the `store` section of the configuration plus `dataDir`. */
export interface StoreOptions {
  kind: 'memory' | 'journal';
  dataDir: string;
  sync: 'always' | 'interval';
  syncIntervalMs: number;
  inlineSync: 'auto' | 'on' | 'off';
  segmentBytes: number;
  /** 0: no limit. */
  maxBytes: number;
  onFull: 'block' | 'fail';
  skipCorrupt: boolean;
  /** The HA epoch (fencing token) the journal writes under; 0 without HA. */
  epoch: number;
  /** Asked after each sync, before acknowledging: false once this process lost its lease. */
  mayAcknowledge: () => boolean;
}

/** The one place that maps `store.kind` to a Store implementation. */
export function createStore(options: StoreOptions, logger: Logger): Store {
  switch (options.kind) {
    case 'memory':
      return new MemoryStore();
    case 'journal':
      return new JournalStore({
        dir: path.join(options.dataDir, 'journal'),
        sync: options.sync,
        syncIntervalMs: options.syncIntervalMs,
        inlineSync: options.inlineSync,
        segmentBytes: options.segmentBytes,
        ...(options.maxBytes > 0 ? { maxBytes: options.maxBytes } : {}),
        onFull: options.onFull,
        skipCorrupt: options.skipCorrupt,
        epoch: options.epoch,
        mayAcknowledge: options.mayAcknowledge,
        logger,
      });
    default: {
      const never: never = options.kind;
      throw new Error(`unknown store kind ${String(never)}`);
    }
  }
}
