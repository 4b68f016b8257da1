import { MemoryStore } from '../../src/store/memory-store.js';
import { JournalStore } from '../../src/store/journal/index.js';
import type { Store } from '../../src/store/store.js';
import { storeSuite } from './store-suite.js';
import { removeDir, tempDir } from './helpers.js';

storeSuite('MemoryStore', () => ({
  create: async () => new MemoryStore(),
  reopen: async (store: Store) => ({ store, state: await store.open() }),
  cleanup: async () => {},
}));

// Group commits in the event loop (the default on a local disk) and in the thread pool.
for (const inlineSync of ['on', 'off'] as const) storeSuite(`JournalStore (inlineSync ${inlineSync})`, () => {
  let dir: string | undefined;
  const make = async () => new JournalStore({ dir: (dir ??= await tempDir()), segmentBytes: 4096, inlineSync });
  return {
    create: make,
    reopen: async (store: Store) => {
      await store.close();
      const next = await make();
      return { store: next, state: await next.open() };
    },
    cleanup: async () => {
      if (dir) await removeDir(dir);
    },
  };
});
