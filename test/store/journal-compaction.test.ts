import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JournalStore, nodeIo, type JournalIo } from '../../src/store/journal/index.js';
import type { StoreOp } from '../../src/store/store.js';
import { bytes, modelState, plain, randomBatches } from './store-suite.js';
import { dirBytes, memoryLogger, openJournal, removeDir, segmentFiles, tempDir } from './helpers.js';

/** A disk that "crashes" after `n` changes: that call and every later one fail, as if the process died. */
function crashingIo(n: number): { io: JournalIo; crashed: () => boolean } {
  let changes = 0;
  const io: JournalIo = { ...nodeIo };
  const wrap = <A extends unknown[], R>(f: (...a: A) => Promise<R>) => (...a: A): Promise<R> =>
    changes++ >= n ? Promise.reject(Object.assign(new Error('simulated crash'), { code: 'EIO' })) : f(...a);
  io.write = wrap(nodeIo.write);
  io.rename = wrap(nodeIo.rename);
  io.unlink = wrap(nodeIo.unlink);
  io.fsync = wrap(nodeIo.fsync);
  io.fdatasync = wrap(nodeIo.fdatasync);
  io.ftruncate = wrap(nodeIo.ftruncate);
  return { io, crashed: () => changes > n };
}

describe('journal segments and compaction', () => {
  let dir: string;
  const stores: JournalStore[] = [];
  const open = async (o: Partial<ConstructorParameters<typeof JournalStore>[0]> = {}) => {
    const r = await openJournal({ dir, segmentBytes: 8192, compactIntervalMs: 60_000, ...o });
    stores.push(r.store);
    return r;
  };

  beforeEach(async () => {
    dir = await tempDir();
  });

  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    await removeDir(dir);
  });

  it('rolls segments at segmentBytes, with sortable names and headers naming their number', async () => {
    const { store } = await open({ segmentBytes: 4096 });
    await store.commit([{ kind: 'queue-put', queue: 'q', meta: bytes('') }]);
    for (let i = 0; i < 100; i++) {
      await store.commit([{ kind: 'message', id: `m${i}`, data: Buffer.alloc(200, i) }, { kind: 'enqueue', queue: 'q', id: `m${i}`, seq: i }]);
    }
    const files = await segmentFiles(dir);
    expect(files.length).toBeGreaterThan(4);
    expect(files[0]).toBe('journal-00000001.wal');
    for (const [i, f] of files.entries()) {
      const buf = await fs.readFile(path.join(dir, f));
      expect(buf.subarray(0, 8).toString('latin1')).toBe('WHARFJNL');
      expect(Number(buf.readBigUInt64LE(24))).toBe(i + 1);
      expect(buf.length).toBeLessThan(4096 + 300); // a record never splits: at most one over
    }
    await store.close();
    const { state } = await open({ segmentBytes: 4096 });
    expect(state.queues.get('q')!.entries.map((e) => e.id)).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
  });

  it('deletes dead segments and rewrites mostly-dead ones under interleaved traffic; live messages survive', async () => {
    const { store } = await open({ segmentBytes: 16 * 1024 });
    await store.commit([{ kind: 'queue-put', queue: 'q', meta: bytes('') }]);
    const live = new Set<string>();
    let peak = 0;
    // Producers run ahead of consumers; every 50th message is never consumed.
    for (let i = 0; i < 3000; i++) {
      const id = `m${i}`;
      const ops: StoreOp[] = [{ kind: 'message', id, data: Buffer.alloc(256, i) }, { kind: 'enqueue', queue: 'q', id, seq: i }];
      live.add(id);
      const ackable = i - 20;
      if (ackable >= 0 && ackable % 50 !== 0) {
        ops.push({ kind: 'dequeue', queue: 'q', id: `m${ackable}` });
        live.delete(`m${ackable}`);
      }
      await store.commit(ops);
      if (i % 100 === 0) {
        await store.compact();
        peak = Math.max(peak, await dirBytes(dir));
      }
    }
    for (let i = 2980; i < 3000; i++) {
      if (i % 50 === 0) continue;
      await store.commit([{ kind: 'dequeue', queue: 'q', id: `m${i}` }]);
      live.delete(`m${i}`);
    }
    await store.compact();
    const stats = store.stats();
    expect(stats.compaction.segmentsDeleted + stats.compaction.segmentsRewritten).toBeGreaterThan(10);
    const total = await dirBytes(dir);
    // 60 live messages of ~300 bytes: far below the ~900 KB written.
    expect(stats.bytesWritten).toBeGreaterThan(800_000);
    expect(total).toBeLessThan(120_000);
    expect(store.health().usedBytes).toBe(total);
    await store.close();
    const { state } = await open({ segmentBytes: 16 * 1024 });
    expect(new Set(state.queues.get('q')!.entries.map((e) => e.id))).toEqual(live);
    for (const e of state.queues.get('q')!.entries) expect(e.data).toEqual(Buffer.alloc(256, Number(e.id.slice(1))));
  });

  it('never brings deleted state back: a dequeue in a later segment outlives the enqueue it cancels', async () => {
    const { store } = await open({ segmentBytes: 4096 });
    await store.commit([{ kind: 'queue-put', queue: 'q', meta: bytes('') }, { kind: 'kv-put', space: 's', key: 'k', value: bytes('v1') }]);
    await store.commit([{ kind: 'message', id: 'acked', data: Buffer.alloc(100, 1) }, { kind: 'enqueue', queue: 'q', id: 'acked', seq: 0 }]);
    // Keep the first segment mostly live so it is neither deleted nor rewritten.
    for (let i = 1; i <= 12; i++) {
      await store.commit([{ kind: 'message', id: `keep${i}`, data: Buffer.alloc(300, i) }, { kind: 'enqueue', queue: 'q', id: `keep${i}`, seq: i }]);
    }
    // The dequeue and kv-delete go into a later segment full of garbage that dies.
    await store.commit([{ kind: 'dequeue', queue: 'q', id: 'acked' }, { kind: 'kv-delete', space: 's', key: 'k' }]);
    for (let i = 0; i < 40; i++) {
      await store.commit([{ kind: 'message', id: `g${i}`, data: Buffer.alloc(300, 9) }, { kind: 'enqueue', queue: 'q', id: `g${i}`, seq: 100 + i }]);
      await store.commit([{ kind: 'dequeue', queue: 'q', id: `g${i}` }]);
    }
    await store.compact();
    expect(store.stats().compaction.segmentsDeleted + store.stats().compaction.segmentsRewritten).toBeGreaterThan(0);
    await store.close();
    const { state } = await open({ segmentBytes: 4096 });
    expect(state.queues.get('q')!.entries.map((e) => e.id)).toEqual(Array.from({ length: 12 }, (_, i) => `keep${i + 1}`));
    expect(plain(state).kv).toEqual([]);
  });

  // A burst's commits are issued together, so they share records (one per group commit).
  for (const [seed, burst] of [[1, 1], [2, 1], [3, 1], [4, 5], [5, 9]] as const) {
    const shared = burst > 1 ? `, in bursts of ${burst} commits` : '';
    it(`random traffic${shared} with compaction after every few commits recovers the reference state (seed ${seed})`, async () => {
      const batches = randomBatches(seed, 1200, 600);
      let { store } = await open({ segmentBytes: 2048, compactBelowLiveFraction: 0.5 });
      let rewritten = 0;
      let deleted = 0;
      let records = 0;
      const close = async () => {
        await store.compact();
        rewritten += store.stats().compaction.segmentsRewritten;
        deleted += store.stats().compaction.segmentsDeleted;
        records += store.stats().records;
        await store.close();
      };
      const issued: Promise<void>[] = [];
      for (let i = 0; i < batches.length; i++) {
        issued.push(store.commit(batches[i]!));
        if ((i + 1) % burst !== 0 && i % 7 !== 0 && i % 500 !== 499 && i !== batches.length - 1) continue;
        await Promise.all(issued.splice(0));
        if (i % 7 === 0) await store.compact();
        if (i % 500 === 499) {
          await close();
          const r = await open({ segmentBytes: 2048, compactBelowLiveFraction: 0.5 });
          store = r.store;
          expect(plain(r.state)).toEqual(await modelState(batches.slice(0, i + 1)));
        }
      }
      await close();
      expect(rewritten).toBeGreaterThan(0);
      expect(deleted).toBeGreaterThan(0);
      if (burst > 1) expect(records).toBeLessThan(batches.length * 0.5);
      const { state } = await open({ segmentBytes: 2048 });
      expect(plain(state)).toEqual(await modelState(batches));
    });
  }

  it('closes the record commits share before the writer rolls under it (compaction of a full store)', async () => {
    const { store } = await open({ maxBytes: 40_000 }); // segments of a fraction of maxBytes
    await store.commit([{ kind: 'queue-put', queue: 'q', meta: bytes('') }]);
    let seq = 0;
    const put = (id: string) => store.commit([{ kind: 'message', id, data: Buffer.alloc(1000, 1) }, { kind: 'enqueue', queue: 'q', id, seq: seq++ }]);
    const dequeue = (id: string) => store.commit([{ kind: 'dequeue', queue: 'q', id }]);
    let kept = 0;
    while (store.stats().usedBytes < 33_000) await put(`k${kept++}`);
    const segments = store.stats().segments;
    while (store.stats().segments === segments) await put(`k${kept++}`); // a fresh current segment
    // Dead bytes pile up in the current segment until the store is full.
    let d = 0;
    for (; ; d++) {
      await put(`d${d}`);
      if (store.health().full) break;
      await dequeue(`d${d}`);
    }
    // Compaction now rolls that segment at once, from inside the first commit, under its open
    // record, which the second commit would share if the roll did not close it.
    await Promise.all([dequeue('k0'), dequeue('k1')]);
    expect(store.stats().segments).toBeGreaterThan(segments + 1);
    await store.close();
    const { state } = await open({ maxBytes: 40_000 });
    expect(state.queues.get('q')!.entries.map((e) => e.id)).toEqual([...Array.from({ length: kept - 2 }, (_, j) => `k${j + 2}`), `d${d}`]);
  });

  it('drops a record whose last live op is deleted while compaction reads it (not kept whole)', async () => {
    let hold: (() => void) | undefined;
    let reading: (() => void) | undefined;
    const readStarted = new Promise<void>((resolve) => (reading = resolve));
    const io: JournalIo = {
      ...nodeIo,
      read: async (...a) => {
        if (hold === undefined) return nodeIo.read(...a);
        reading!();
        await new Promise<void>((resolve) => (hold = resolve));
        return nodeIo.read(...a);
      },
    };
    const { lines, logger } = memoryLogger();
    const { store } = await open({ io, logger, compactBelowLiveFraction: 0.5, compactIntervalMs: 3_600_000 });
    await store.commit([{ kind: 'queue-put', queue: 'q', meta: bytes('') }]);
    let seq = 0;
    const put = (id: string) => store.commit([{ kind: 'message', id, data: Buffer.alloc(500, 1) }, { kind: 'enqueue', queue: 'q', id, seq: seq++ }]);
    // Segment 1 stays live; the victim is the first live record of segment 2, the rest of which is dead.
    for (let i = 0; store.stats().segments === 1; i++) await put(`k${i}`);
    const kept = seq - 1; // the put that rolled is in segment 2: it goes
    await store.commit([{ kind: 'dequeue', queue: 'q', id: `k${kept}` }]);
    await put('victim');
    for (let i = 0; store.stats().segments === 2; i++) await put(`m${i}`);
    const dead = seq - kept - 2;
    for (let i = 0; i < dead - 1; i++) await store.commit([{ kind: 'dequeue', queue: 'q', id: `m${i}` }]);
    hold = () => {};
    const compacting = store.compact();
    await readStarted;
    await store.commit([{ kind: 'dequeue', queue: 'q', id: 'victim' }]);
    hold();
    hold = undefined;
    await compacting;
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
    expect(store.stats().compaction.segmentsRewritten + store.stats().compaction.segmentsDeleted).toBeGreaterThan(0);
    await store.close();
    const { state } = await open();
    expect(state.queues.get('q')!.entries.map((e) => e.id)).toEqual([...Array.from({ length: kept }, (_, i) => `k${i}`), `m${dead - 1}`]);
  });

  it('recovers the same state when a crash stops compaction at any step', async () => {
    const batches = randomBatches(7, 120, 400);
    const { store } = await open({ segmentBytes: 2048, compactBelowLiveFraction: 0 });
    for (const b of batches) await store.commit(b);
    await store.close();
    const model = await modelState(batches);
    const snapshot = await tempDir('wharf-journal-snap-');
    await fs.cp(dir, snapshot, { recursive: true });
    try {
      let steps = 0;
      for (let completed = false; !completed; steps++) {
        expect(steps).toBeLessThan(400);
        await removeDir(dir);
        await fs.cp(snapshot, dir, { recursive: true });
        const disk = crashingIo(steps);
        const s = new JournalStore({ dir, segmentBytes: 2048, compactBelowLiveFraction: 0.9, io: disk.io, compactIntervalMs: 3_600_000 });
        await s.open().catch(() => {});
        await s.compact().catch(() => {});
        await s.close().catch(() => {});
        completed = !disk.crashed();
        const r = await open({ segmentBytes: 2048 });
        expect(plain(r.state), `crash after ${steps} file-system changes`).toEqual(model);
        await r.store.close();
        stores.pop();
        expect((await fs.readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
      }
      expect(steps).toBeGreaterThan(10); // compaction did real work: deletes and rewrites
    } finally {
      await removeDir(snapshot);
    }
  });

  it('copes with a rewritten copy left next to its original (crash before the rename)', async () => {
    const batches = randomBatches(11, 400, 400);
    const { store } = await open({ segmentBytes: 2048, compactIntervalMs: 3_600_000 });
    for (const b of batches) await store.commit(b);
    await store.close();
    const before = new Map<string, Buffer>();
    for (const f of await segmentFiles(dir)) before.set(f, await fs.readFile(path.join(dir, f)));
    const { store: s2 } = await open({ segmentBytes: 2048, compactBelowLiveFraction: 0.9 });
    await s2.compact();
    expect(s2.stats().compaction.segmentsRewritten).toBeGreaterThan(0);
    await s2.close();
    // Put every original back and leave each rewritten copy beside it as a complete temp file.
    let pairs = 0;
    for (const [f, old] of before) {
      const p = path.join(dir, f);
      const now = await fs.readFile(p).catch(() => undefined);
      if (now && !now.equals(old)) {
        await fs.writeFile(`${p}.compact.tmp`, now);
        pairs++;
      }
      await fs.writeFile(p, old);
    }
    expect(pairs).toBeGreaterThan(0);
    const { store: s3, state } = await open({ segmentBytes: 2048 });
    expect(plain(state)).toEqual(await modelState(batches));
    expect(s3.stats().recovery!.tempFilesRemoved).toBe(pairs);
  });
});
