import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JournalOptions, JournalStore } from '../../src/store/journal/index.js';
import type { StoreOp } from '../../src/store/store.js';
import { bytes } from './store-suite.js';
import { memoryLogger, openJournal, removeDir, tempDir } from './helpers.js';

const send = (i: number): StoreOp[] => [
  { kind: 'message', id: `m${i}`, data: Buffer.alloc(256, i) },
  { kind: 'enqueue', queue: 'q', id: `m${i}`, seq: i },
];

describe.each(['on', 'off'] as const)('journal group commit (inlineSync %s)', (inlineSync) => {
  let dir: string;
  let store: JournalStore;
  const open = async (o: Partial<JournalOptions> = {}) => {
    ({ store } = await openJournal({ dir, inlineSync, ...o }));
    await store.commit([{ kind: 'queue-put', queue: 'q', meta: bytes('') }]);
    return store;
  };

  beforeEach(async () => {
    dir = await tempDir();
  });

  afterEach(async () => {
    await store?.close();
    await removeDir(dir);
  });

  it('writes and syncs concurrent commits together', async () => {
    await open();
    const before = store.stats();
    await Promise.all(Array.from({ length: 500 }, (_, i) => store.commit(send(i))));
    const after = store.stats();
    expect(after.commits - before.commits).toBe(500);
    expect(after.messages - before.messages).toBe(500);
    const syncs = after.syncs - before.syncs;
    expect(syncs).toBeGreaterThan(0);
    expect(syncs).toBeLessThan(50);
    expect(after.writes - before.writes).toBe(syncs);
  });

  it('keeps batching under continuous load from many awaiting producers', async () => {
    await open();
    const before = store.stats();
    await Promise.all(Array.from({ length: 20 }, async (_, p) => {
      for (let i = 0; i < 50; i++) await store.commit(send(p * 1000 + i));
    }));
    const after = store.stats();
    expect(after.commits - before.commits).toBe(1000);
    expect(after.syncs - before.syncs).toBeLessThan(500);
  });

  it('syncs once per commit when commits come one at a time', async () => {
    await open();
    const before = store.stats().syncs;
    for (let i = 0; i < 20; i++) await store.commit(send(i));
    expect(store.stats().syncs - before).toBe(20);
  });

  it('under the interval policy resolves after the write and syncs in the background', async () => {
    await open({ sync: 'interval', syncIntervalMs: 20 });
    const before = store.stats();
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.commit(send(i))));
    const written = store.stats();
    expect(written.writes).toBeGreaterThan(before.writes);
    for (let waited = 0; store.stats().syncs === written.syncs && waited < 5000; waited += 10) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const later = store.stats();
    expect(later.syncs).toBeGreaterThan(written.syncs);
    expect(later.syncs - before.syncs).toBeLessThan(200);
    await store.close();
    const again = await openJournal({ dir });
    store = again.store;
    expect(again.state.queues.get('q')!.entries).toHaveLength(200);
  });

  it('writes relaxed acknowledgements without an fsync of their own and syncs them within the interval', async () => {
    await open({ syncIntervalMs: 50 });
    for (let i = 0; i < 3; i++) await store.commit(send(i));
    const before = store.stats();
    await store.commit([{ kind: 'dequeue', queue: 'q', id: 'm0' }], { relaxed: true });
    const written = store.stats();
    expect(written.writes).toBe(before.writes + 1);
    expect(written.syncs).toBe(before.syncs);
    for (let waited = 0; store.stats().syncs === written.syncs && waited < 5000; waited += 10) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(store.stats().syncs).toBe(written.syncs + 1);
    await store.close();
    const again = await openJournal({ dir });
    store = again.store;
    expect(again.state.queues.get('q')!.entries.map((e) => e.id)).toEqual(['m1', 'm2']);
  });

  it('syncs a relaxed acknowledgement with the next durable commit', async () => {
    await open({ syncIntervalMs: 60_000 });
    await store.commit(send(1));
    const before = store.stats();
    await store.commit([{ kind: 'dequeue', queue: 'q', id: 'm1' }], { relaxed: true });
    await store.commit(send(2));
    const after = store.stats();
    expect(after.writes - before.writes).toBe(2);
    expect(after.syncs - before.syncs).toBe(1); // the one fdatasync covers both writes
  });

  it('syncs a relaxed commit that is not only acknowledgements like any other', async () => {
    await open({ syncIntervalMs: 60_000 });
    await store.commit(send(1));
    const before = store.stats().syncs;
    await store.commit([{ kind: 'kv-delete', space: 's', key: 'k' }, { kind: 'dequeue', queue: 'q', id: 'm1' }], { relaxed: true });
    expect(store.stats().syncs).toBe(before + 1);
  });

  it('resolves a commit that changes nothing, after earlier commits are durable', async () => {
    await open();
    const first = store.commit(send(1));
    const noop = store.commit([{ kind: 'dequeue', queue: 'q', id: 'unknown' }, { kind: 'message', id: 'm1', data: bytes('dup') }]);
    let firstDone = false;
    void first.then(() => (firstDone = true));
    await noop;
    expect(firstDone).toBe(true);
    expect(store.stats().records).toBe(2); // the queue-put and m1: the no-op wrote nothing
  });
});

describe('journal inlineSync auto', () => {
  it('writes and syncs in the event loop on a local disk', async () => {
    const dir = await tempDir();
    const { lines, logger } = memoryLogger();
    const { store } = await openJournal({ dir, logger });
    await store.close();
    await removeDir(dir);
    expect(lines.find((l) => 'inline' in l.obj)?.obj).toMatchObject({ inlineSync: 'auto', inline: true });
  });
});
