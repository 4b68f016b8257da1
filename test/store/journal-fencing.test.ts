import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BrokerError } from '../../src/spi/errors.js';
import { JournalStore, type JournalOptions } from '../../src/store/journal/index.js';
import type { StoreOp } from '../../src/store/store.js';
import { bytes, modelState, plain, randomBatches } from './store-suite.js';
import { openJournal, removeDir, segmentFiles, tempDir } from './helpers.js';

const send = (i: number): StoreOp[] => [
  { kind: 'message', id: `m${i}`, data: Buffer.alloc(200, i) },
  { kind: 'enqueue', queue: 'q', id: `m${i}`, seq: i },
];
const ids = (state: Awaited<ReturnType<JournalStore['open']>>) => state.queues.get('q')?.entries.map((e) => e.id) ?? [];

describe('journal epoch fencing (HA)', () => {
  let dir: string;
  const stores: JournalStore[] = [];
  const open = async (o: Partial<JournalOptions>) => {
    const r = await openJournal({ dir, segmentBytes: 4096, compactIntervalMs: 3_600_000, ...o });
    stores.push(r.store);
    return r;
  };

  beforeEach(async () => {
    dir = await tempDir();
  });

  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close().catch(() => {});
    await removeDir(dir);
  });

  it('never replays what a stale writer adds after a newer epoch took over', async () => {
    const { store: a } = await open({ epoch: 1 });
    await a.commit([{ kind: 'queue-put', queue: 'q', meta: bytes('') }]);
    for (let i = 0; i < 10; i++) await a.commit(send(i));
    // B takes over while A still runs and does not know yet.
    const { store: b, state } = await open({ epoch: 2 });
    expect(ids(state)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    // A keeps writing: first into its current segment, past B's seal, then it tries to roll into
    // the segment B already holds and fails.
    let staleFailure: unknown;
    for (let i = 10; i < 60 && !staleFailure; i++) await a.commit(send(i)).catch((e) => (staleFailure = e));
    expect((staleFailure as BrokerError).code).toBe('STORE_FAILED');
    expect(String((staleFailure as Error).message)).toContain('EEXIST');
    for (let i = 100; i < 105; i++) await b.commit(send(i));
    await a.close();
    await b.close();
    const { store: c, state: after } = await open({ epoch: 3 });
    expect(ids(after)).toEqual([...Array.from({ length: 10 }, (_, i) => `m${i}`), ...Array.from({ length: 5 }, (_, i) => `m${100 + i}`)]);
    expect(c.stats().recovery!.fencedBytes).toBeGreaterThan(0);
    expect(c.stats().recoveredEpoch).toBe(2);
  });

  it('ignores whole segments of an older epoch numbered after the seal', async () => {
    const { store: a } = await open({ epoch: 1 });
    await a.commit([{ kind: 'queue-put', queue: 'q', meta: bytes('') }]);
    for (let i = 0; i < 5; i++) await a.commit(send(i));
    await a.close();
    const { store: b } = await open({ epoch: 2 });
    await b.commit(send(50));
    await b.close();
    // An epoch-1 segment numbered after B's: written by an epoch-1 store in a directory whose
    // numbering was primed (an empty last segment is a torn one: recovery removes it).
    const files = await segmentFiles(dir);
    const staleNo = Number(/\d+/.exec(files[files.length - 1]!)![0]) + 3;
    const staleName = `journal-${String(staleNo).padStart(8, '0')}.wal`;
    const forgeDir = path.join(dir, 'forge');
    await fs.mkdir(forgeDir);
    await fs.writeFile(path.join(forgeDir, `journal-${String(staleNo - 1).padStart(8, '0')}.wal`), Buffer.alloc(0));
    const stale = new JournalStore({ dir: forgeDir, epoch: 1 });
    await stale.open();
    await stale.commit([{ kind: 'queue-put', queue: 'q', meta: bytes('') }, ...send(77)]);
    await stale.close();
    await fs.copyFile(path.join(forgeDir, staleName), path.join(dir, staleName));
    await removeDir(forgeDir);

    const { state, store: c } = await open({ epoch: 3 });
    expect(ids(state)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm50']);
    expect(c.stats().recovery!.fencedBytes).toBeGreaterThan(0);
  });

  it('acknowledges nothing once the lease is lost, and compaction leaves the files alone', async () => {
    let holding = true;
    const { store } = await open({ epoch: 1, mayAcknowledge: () => holding });
    await store.commit([{ kind: 'queue-put', queue: 'q', meta: bytes('') }]);
    for (let i = 0; i < 40; i++) await store.commit(send(i));
    for (let i = 0; i < 40; i++) await store.commit([{ kind: 'dequeue', queue: 'q', id: `m${i}` }]);
    holding = false;
    const before = await segmentFiles(dir);
    await store.compact();
    expect(await segmentFiles(dir)).toEqual(before);
    const err = (await store.commit(send(99)).catch((e: unknown) => e)) as BrokerError;
    expect(err.code).toBe('STORE_FAILED');
    expect(err.message).toContain('lease');
    expect(store.health().ok).toBe(false);
  });

  it('recovers the reference state across takeovers with compaction in between', async () => {
    const batches = randomBatches(21, 900, 400);
    let epoch = 1;
    let { store } = await open({ epoch, segmentBytes: 2048, compactBelowLiveFraction: 0.6 });
    for (let i = 0; i < batches.length; i++) {
      await store.commit(batches[i]!);
      if (i % 5 === 0) await store.compact();
      if (i % 150 === 149) {
        await store.close();
        const r = await open({ epoch: ++epoch, segmentBytes: 2048, compactBelowLiveFraction: 0.6 });
        store = r.store;
        expect(plain(r.state)).toEqual(await modelState(batches.slice(0, i + 1)));
      }
    }
    await store.compact();
    await store.close();
    const { state } = await open({ epoch: ++epoch });
    expect(plain(state)).toEqual(await modelState(batches));
  });
});
