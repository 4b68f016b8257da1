import { beforeEach, afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { RecoveredState, Store, StoreOp } from '../../src/store/store.js';
import { seededRandom } from '../helpers/seeded-random.js';

/** A small deterministic PRNG, so a failing random case can be replayed. */
export const rng = seededRandom;

/**
 * The one behaviour suite every Store implementation runs: op semantics, atomic batches,
 * refcounted bodies, delivery counts, kv, and that reopening returns exactly what was committed.
 */
export interface StoreHarness {
  /** A new, empty, not yet opened store. */
  create(): Promise<Store>;
  /** What a restart sees: the journal closes and opens a new instance on the same directory. */
  reopen(store: Store): Promise<{ store: Store; state: RecoveredState }>;
  cleanup(): Promise<void>;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A plain, comparable form of a recovered state (empty kv spaces are not state). */
export function plain(state: RecoveredState) {
  const queues = [...state.queues].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, q]) => ({
    name,
    meta: hex(q.meta),
    entries: q.entries.map((e) => ({ id: e.id, seq: e.seq, deliveryCount: e.deliveryCount, data: hex(e.data) })),
  }));
  const kv = [...state.kv]
    .filter(([, m]) => m.size > 0)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([space, m]) => ({ space, entries: [...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, hex(v)]) }));
  return { queues, kv };
}

/** The reference: what the memory store recovers after the same commits. */
export async function modelState(batches: StoreOp[][]): Promise<ReturnType<typeof plain>> {
  const m = new MemoryStore();
  await m.open();
  for (const b of batches) await m.commit(b);
  return plain(await m.open());
}

/**
 * Random batches over a few queues, ids and kv keys, with every op kind, including no-ops
 * (unknown refs) and re-use of ids and queue names after deletion.
 */
export function randomBatches(seed: number, count: number, bodyBytes = 64): StoreOp[][] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const queues = ['q.a', 'q.b', 'q.c', 'topic.t'];
  let seq = 0;
  let nextId = 0;
  const ids: string[] = [];
  const batches: StoreOp[][] = [];
  for (let i = 0; i < count; i++) {
    const batch: StoreOp[] = [];
    const n = 1 + Math.floor(r() * 4);
    for (let j = 0; j < n; j++) {
      const x = r();
      if (x < 0.3) {
        const id = r() < 0.9 || ids.length === 0 ? `m-${nextId++}` : pick(ids);
        ids.push(id);
        const data = Buffer.alloc(1 + Math.floor(r() * bodyBytes), id);
        batch.push({ kind: 'message', id, data });
        const targets = 1 + Math.floor(r() * 2);
        for (let k = 0; k < targets; k++) batch.push({ kind: 'enqueue', queue: pick(queues), id, seq: seq++ });
      } else if (x < 0.55 && ids.length) {
        batch.push({ kind: 'dequeue', queue: pick(queues), id: pick(ids) });
      } else if (x < 0.62 && ids.length) {
        batch.push({ kind: 'enqueue', queue: pick(queues), id: pick(ids), seq: seq++ });
      } else if (x < 0.7 && ids.length) {
        batch.push({ kind: 'delivery-count', queue: pick(queues), id: pick(ids), count: Math.floor(r() * 5) });
      } else if (x < 0.78) {
        batch.push({ kind: 'queue-put', queue: pick(queues), meta: bytes(`meta-${i}`) });
      } else if (x < 0.8) {
        batch.push({ kind: 'queue-delete', queue: pick(queues) });
      } else if (x < 0.92) {
        batch.push({ kind: 'kv-put', space: pick(['mqtt', 'retained']), key: `k${Math.floor(r() * 6)}`, value: bytes(`v${i}`) });
      } else {
        batch.push({ kind: 'kv-delete', space: pick(['mqtt', 'retained']), key: `k${Math.floor(r() * 6)}` });
      }
    }
    batches.push(batch);
  }
  // Start with every queue in place so that most enqueues take effect.
  batches.unshift(queues.map((queue) => ({ kind: 'queue-put', queue, meta: bytes(queue) })));
  return batches;
}

export function storeSuite(name: string, harness: () => StoreHarness): void {
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      h = harness();
      store = await h.create();
      expect(plain(await store.open())).toEqual({ queues: [], kv: [] });
    });

    afterEach(async () => {
      await store.close();
      await h.cleanup();
    });

    const reopen = async () => {
      const r = await h.reopen(store);
      store = r.store;
      return plain(r.state);
    };

    it('keeps enqueued messages with their data, seq and a zero delivery count', async () => {
      await store.commit([{ kind: 'queue-put', queue: 'orders', meta: bytes('m1') }]);
      await store.commit([
        { kind: 'message', id: 'a', data: bytes('hello') },
        { kind: 'enqueue', queue: 'orders', id: 'a', seq: 1 },
      ]);
      expect(await reopen()).toEqual({
        queues: [{ name: 'orders', meta: hex(bytes('m1')), entries: [{ id: 'a', seq: 1, deliveryCount: 0, data: hex(bytes('hello')) }] }],
        kv: [],
      });
    });

    it('ignores enqueues to unknown queues, of unknown messages, and duplicate references', async () => {
      await store.commit([{ kind: 'queue-put', queue: 'q', meta: bytes('') }]);
      await store.commit([
        { kind: 'message', id: 'a', data: bytes('A') },
        { kind: 'enqueue', queue: 'nope', id: 'a', seq: 1 },
        { kind: 'enqueue', queue: 'q', id: 'ghost', seq: 2 },
        { kind: 'enqueue', queue: 'q', id: 'a', seq: 3 },
        { kind: 'enqueue', queue: 'q', id: 'a', seq: 4 },
        { kind: 'message', id: 'a', data: bytes('replaced?') },
      ]);
      const s = await reopen();
      expect(s.queues[0]!.entries).toEqual([{ id: 'a', seq: 3, deliveryCount: 0, data: hex(bytes('A')) }]);
    });

    it('stores a body once for several queues and drops it with its last reference', async () => {
      await store.commit([
        { kind: 'queue-put', queue: 'q1', meta: bytes('') },
        { kind: 'queue-put', queue: 'q2', meta: bytes('') },
        { kind: 'message', id: 'm', data: bytes('body') },
        { kind: 'enqueue', queue: 'q1', id: 'm', seq: 1 },
        { kind: 'enqueue', queue: 'q2', id: 'm', seq: 2 },
      ]);
      await store.commit([{ kind: 'dequeue', queue: 'q1', id: 'm' }]);
      let s = await reopen();
      expect(s.queues.map((q) => q.entries.map((e) => e.id))).toEqual([[], ['m']]);
      await store.commit([{ kind: 'dequeue', queue: 'q2', id: 'm' }]);
      // The body is gone: a new reference to it without a new message op is ignored.
      await store.commit([{ kind: 'enqueue', queue: 'q1', id: 'm', seq: 3 }]);
      s = await reopen();
      expect(s.queues.map((q) => q.entries.length)).toEqual([0, 0]);
    });

    it('records delivery counts and resets them when a reference is re-enqueued', async () => {
      await store.commit([
        { kind: 'queue-put', queue: 'q', meta: bytes('') },
        { kind: 'queue-put', queue: 'dlq', meta: bytes('') },
        { kind: 'message', id: 'm', data: bytes('x') },
        { kind: 'enqueue', queue: 'q', id: 'm', seq: 1 },
      ]);
      await store.commit([{ kind: 'delivery-count', queue: 'q', id: 'm', count: 1 }]);
      await store.commit([{ kind: 'delivery-count', queue: 'q', id: 'm', count: 2 }]);
      await store.commit([{ kind: 'delivery-count', queue: 'nope', id: 'm', count: 9 }]);
      expect((await reopen()).queues.find((q) => q.name === 'q')!.entries[0]!.deliveryCount).toBe(2);
      // Moved to the DLQ and back: a fresh reference, count 0.
      await store.commit([{ kind: 'enqueue', queue: 'dlq', id: 'm', seq: 2 }, { kind: 'dequeue', queue: 'q', id: 'm' }]);
      await store.commit([{ kind: 'enqueue', queue: 'q', id: 'm', seq: 3 }, { kind: 'dequeue', queue: 'dlq', id: 'm' }]);
      const s = await reopen();
      expect(s.queues.find((q) => q.name === 'q')!.entries).toEqual([{ id: 'm', seq: 3, deliveryCount: 0, data: hex(bytes('x')) }]);
      expect(s.queues.find((q) => q.name === 'dlq')!.entries).toEqual([]);
    });

    it('replaces queue meta and keeps its entries', async () => {
      await store.commit([
        { kind: 'queue-put', queue: 'q', meta: bytes('v1') },
        { kind: 'message', id: 'm', data: bytes('x') },
        { kind: 'enqueue', queue: 'q', id: 'm', seq: 1 },
      ]);
      await store.commit([{ kind: 'queue-put', queue: 'q', meta: bytes('v2') }]);
      const s = await reopen();
      expect(s.queues).toEqual([{ name: 'q', meta: hex(bytes('v2')), entries: [{ id: 'm', seq: 1, deliveryCount: 0, data: hex(bytes('x')) }] }]);
    });

    it('deletes a queue with its references, keeping bodies other queues still reference', async () => {
      await store.commit([
        { kind: 'queue-put', queue: 'gone', meta: bytes('') },
        { kind: 'queue-put', queue: 'kept', meta: bytes('') },
        { kind: 'message', id: 'shared', data: bytes('s') },
        { kind: 'message', id: 'only', data: bytes('o') },
        { kind: 'enqueue', queue: 'gone', id: 'shared', seq: 1 },
        { kind: 'enqueue', queue: 'kept', id: 'shared', seq: 2 },
        { kind: 'enqueue', queue: 'gone', id: 'only', seq: 3 },
      ]);
      await store.commit([{ kind: 'queue-delete', queue: 'gone' }]);
      expect((await reopen()).queues).toEqual([{ name: 'kept', meta: '', entries: [{ id: 'shared', seq: 2, deliveryCount: 0, data: hex(bytes('s')) }] }]);
      // A queue of the same name starts empty; 'only' went with the queue.
      await store.commit([{ kind: 'queue-put', queue: 'gone', meta: bytes('new') }, { kind: 'enqueue', queue: 'gone', id: 'only', seq: 4 }]);
      expect((await reopen()).queues.find((q) => q.name === 'gone')).toEqual({ name: 'gone', meta: hex(bytes('new')), entries: [] });
    });

    it('keeps kv state per space: put, overwrite, delete', async () => {
      await store.commit([
        { kind: 'kv-put', space: 'mqtt', key: 'client-1', value: bytes('s1') },
        { kind: 'kv-put', space: 'retained', key: 'a/b', value: bytes('r1') },
      ]);
      await store.commit([{ kind: 'kv-put', space: 'mqtt', key: 'client-1', value: bytes('s2') }]);
      await store.commit([{ kind: 'kv-put', space: 'mqtt', key: 'client-2', value: bytes('t') }, { kind: 'kv-delete', space: 'retained', key: 'a/b' }]);
      await store.commit([{ kind: 'kv-delete', space: 'nope', key: 'x' }]);
      expect((await reopen()).kv).toEqual([{ space: 'mqtt', entries: [['client-1', hex(bytes('s2'))], ['client-2', hex(bytes('t'))]] }]);
    });

    it('returns entries in seq order whatever the enqueue order', async () => {
      const ops: StoreOp[] = [{ kind: 'queue-put', queue: 'q', meta: bytes('') }];
      for (const seq of [5, 2, 9, 1, 7]) {
        ops.push({ kind: 'message', id: `m${seq}`, data: bytes(String(seq)) }, { kind: 'enqueue', queue: 'q', id: `m${seq}`, seq });
      }
      await store.commit(ops);
      expect((await reopen()).queues[0]!.entries.map((e) => e.seq)).toEqual([1, 2, 5, 7, 9]);
    });

    it('applies a batch whole, in order, including ops that depend on earlier ops in it', async () => {
      await store.commit([
        { kind: 'queue-put', queue: 'q', meta: bytes('') },
        { kind: 'message', id: 'm', data: bytes('1') },
        { kind: 'enqueue', queue: 'q', id: 'm', seq: 1 },
        { kind: 'dequeue', queue: 'q', id: 'm' },
        { kind: 'message', id: 'm', data: bytes('2') },
        { kind: 'enqueue', queue: 'q', id: 'm', seq: 2 },
        { kind: 'kv-put', space: 's', key: 'k', value: bytes('a') },
        { kind: 'kv-delete', space: 's', key: 'k' },
        { kind: 'kv-put', space: 's', key: 'k', value: bytes('b') },
      ]);
      expect(await reopen()).toEqual({
        queues: [{ name: 'q', meta: '', entries: [{ id: 'm', seq: 2, deliveryCount: 0, data: hex(bytes('2')) }] }],
        kv: [{ space: 's', entries: [['k', hex(bytes('b'))]] }],
      });
    });

    it('commits concurrently and resolves every commit', async () => {
      await store.commit([{ kind: 'queue-put', queue: 'q', meta: bytes('') }]);
      await Promise.all(Array.from({ length: 200 }, (_, i) => store.commit([
        { kind: 'message', id: `m${i}`, data: bytes(`d${i}`) },
        { kind: 'enqueue', queue: 'q', id: `m${i}`, seq: i },
      ])));
      expect((await reopen()).queues[0]!.entries.map((e) => e.id)).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
    });

    it('recovers exactly what the reference store holds after random traffic, across reopens', async () => {
      const batches = randomBatches(42, 600);
      for (let i = 0; i < batches.length; i++) {
        await store.commit(batches[i]!);
        if (i % 200 === 199) expect(await reopen()).toEqual(await modelState(batches.slice(0, i + 1)));
      }
      expect(await reopen()).toEqual(await modelState(batches));
      expect(await reopen()).toEqual(await modelState(batches));
    });
  });
}
