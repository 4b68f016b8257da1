import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BrokerError } from '../../src/spi/errors.js';
import { JournalStore, nodeIo, type JournalIo, type JournalOptions } from '../../src/store/journal/index.js';
import type { StoreOp } from '../../src/store/store.js';
import { bytes } from './store-suite.js';
import { openJournal, removeDir, tempDir } from './helpers.js';

const send = (i: number, size = 1000): StoreOp[] => [
  { kind: 'message', id: `m${i}`, data: Buffer.alloc(size, i) },
  { kind: 'enqueue', queue: 'q', id: `m${i}`, seq: i },
];
const ack = (i: number): StoreOp[] => [{ kind: 'dequeue', queue: 'q', id: `m${i}` }];
const settled = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  await new Promise((r) => setTimeout(r, 50));
  return done;
};
const codeOf = (e: unknown) => (e instanceof BrokerError ? e.code : String(e));

/** A small real file system when we may mount one, else undefined. */
function mountTmpfs(dir: string): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Test-only disk: writes fail with `code` once `budget` bytes have been written. */
function failingIo(budget: number, code: string, on: 'write' | 'fdatasync' = 'write'): JournalIo {
  let left = budget;
  const error = () => Object.assign(new Error(`${code}: simulated`), { code });
  const writeFails = (len: number): boolean => {
    if (on === 'write' && left < len) return true;
    left -= len;
    return false;
  };
  const syncFails = (): boolean => on === 'fdatasync' && left <= 0;
  return {
    ...nodeIo,
    write: (fd, buf, off, len, pos) => (writeFails(len) ? Promise.reject(error()) : nodeIo.write(fd, buf, off, len, pos)),
    fdatasync: (fd) => (syncFails() ? Promise.reject(error()) : nodeIo.fdatasync(fd)),
    writeSync: (fd, buf, off, len, pos) => {
      if (writeFails(len)) throw error();
      return nodeIo.writeSync(fd, buf, off, len, pos);
    },
    fdatasyncSync: (fd) => {
      if (syncFails()) throw error();
      nodeIo.fdatasyncSync(fd);
    },
  };
}

describe('journal limits and disk faults', () => {
  let dir: string;
  let mounted = false;
  const stores: JournalStore[] = [];
  const open = async (o: Partial<JournalOptions> = {}) => {
    const r = await openJournal({ dir, compactIntervalMs: 3_600_000, ...o });
    stores.push(r.store);
    await r.store.commit([{ kind: 'queue-put', queue: 'q', meta: bytes('') }]);
    return r;
  };

  beforeEach(async () => {
    dir = await tempDir();
  });

  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    if (mounted) execFileSync('umount', [dir]);
    mounted = false;
    await removeDir(dir);
  });

  async function fill(store: JournalStore, until: (i: number) => boolean): Promise<number> {
    let i = 0;
    while (!until(i)) await store.commit(send(i++));
    return i;
  }

  it('onFull fail: rejects new messages with STORE_FULL, lets removals through, recovers after compaction', async () => {
    const { store } = await open({ maxBytes: 40_000, segmentBytes: 8192, onFull: 'fail' });
    const n = await fill(store, () => store.health().full);
    expect(store.health()).toMatchObject({ ok: true, full: true });
    expect(codeOf(await store.commit(send(n)).catch((e) => e))).toBe('STORE_FULL');
    // Removal-only and meta commits still go through.
    await store.commit(ack(0));
    await store.commit([{ kind: 'delivery-count', queue: 'q', id: 'm1', count: 1 }]);
    for (let i = 1; i < n; i++) await store.commit(ack(i));
    await store.compact();
    await store.compact();
    expect(store.health().full).toBe(false);
    await store.commit(send(n + 1));
  });

  it('onFull block: a new message waits until acks and compaction free space', async () => {
    const { store } = await open({ maxBytes: 40_000, segmentBytes: 8192 });
    const n = await fill(store, () => store.health().full);
    const blocked = store.commit(send(n));
    expect(await settled(blocked)).toBe(false);
    expect(store.stats().blocked).toBe(1);
    await store.commit(ack(0)); // removals are never held back
    expect(await settled(blocked)).toBe(false);
    for (let i = 1; i < n; i++) await store.commit(ack(i));
    await blocked;
    expect(store.health().full).toBe(false);
    await store.close();
    const again = await open({ maxBytes: 40_000, segmentBytes: 8192 });
    expect(again.state.queues.get('q')!.entries.map((e) => e.id)).toEqual([`m${n}`]);
  });

  it('close rejects commits still waiting for space', async () => {
    const { store } = await open({ maxBytes: 40_000, segmentBytes: 8192 });
    const n = await fill(store, () => store.health().full);
    const blocked = store.commit(send(n)).catch((e) => e);
    await store.close();
    expect(codeOf(await blocked)).toBe('STORE_FAILED');
    expect(codeOf(await store.commit(ack(0)).catch((e) => e))).toBe('STORE_FAILED');
  });

  it.each(['on', 'off'] as const)('disk full: fails sticky with the error, keeps draining, loses nothing acknowledged (inlineSync %s)', async (inlineSync) => {
    mounted = mountTmpfs(dir);
    const io = mounted ? nodeIo : failingIo(2 * 1024 * 1024, 'ENOSPC');
    const { store } = await open({ io, segmentBytes: 256 * 1024, inlineSync });
    const acked: string[] = [];
    let failure: unknown;
    for (let i = 0; !failure && i < 10_000; i++) {
      await store.commit(send(i)).then(() => acked.push(`m${i}`), (e) => (failure = e));
    }
    expect(codeOf(failure)).toBe('STORE_FAILED');
    expect((failure as Error).message).toContain('ENOSPC');
    expect(acked.length).toBeGreaterThan(1000);
    expect(store.health().ok).toBe(false);
    expect(store.health().error).toContain('ENOSPC');
    // Sticky: new messages fail, even small ones; acks still resolve.
    expect(codeOf(await store.commit(send(99_999, 1)).catch((e) => e))).toBe('STORE_FAILED');
    expect(codeOf(await store.commit([{ kind: 'kv-put', space: 's', key: 'k', value: bytes('v') }]).catch((e) => e))).toBe('STORE_FAILED');
    await store.commit(ack(0));
    await store.commit([{ kind: 'queue-delete', queue: 'other' }]);
    await store.close();
    // Reopen on the still full disk: recovery only reads, cuts the torn tail and frees space.
    const again = await openJournal({ dir, compactIntervalMs: 3_600_000 });
    stores.push(again.store);
    const ids = again.state.queues.get('q')!.entries.map((e) => e.id);
    // Everything acknowledged is there (the ack made after the failure was not written).
    expect(ids.slice(0, acked.length)).toEqual(acked);
    expect(ids.length).toBeLessThanOrEqual(acked.length + 1);
  });

  it.each(['on', 'off'] as const)('an fsync error (EIO) fails the store; commits in flight reject; earlier ones recover (inlineSync %s)', async (inlineSync) => {
    const { store } = await open({ io: failingIo(20_000, 'EIO', 'fdatasync'), inlineSync });
    const acked: string[] = [];
    const results = [];
    for (let i = 0; i < 40; i++) {
      results.push(await store.commit(send(i)).then(() => acked.push(`m${i}`), (e) => e));
    }
    expect(store.health()).toMatchObject({ ok: false });
    expect(store.health().error).toContain('EIO');
    expect(results.filter((r) => r instanceof BrokerError).length).toBeGreaterThan(0);
    await store.commit(ack(0));
    await store.close();
    const again = await open();
    expect(again.state.queues.get('q')!.entries.map((e) => e.id).slice(0, acked.length)).toEqual(acked);
  });

  it('rejects malformed ops without touching the store', async () => {
    const { store } = await open();
    const bad = [{ kind: 'enqueue', queue: 'q', id: 'x', seq: -1 }] as StoreOp[];
    expect(codeOf(await store.commit(bad).catch((e) => e))).toBe('INTERNAL');
    expect(codeOf(await store.commit([{ kind: 'message', id: 'x', data: 'text' }] as unknown as StoreOp[]).catch((e) => e))).toBe('INTERNAL');
    await store.commit(send(1));
    expect(store.health().ok).toBe(true);
  });
});
