import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BrokerError } from '../../src/spi/errors.js';
import { JournalStore, type JournalOptions } from '../../src/store/journal/index.js';
import type { StoreOp } from '../../src/store/store.js';
import { bytes, modelState, plain, randomBatches, rng } from './store-suite.js';
import { memoryLogger, openJournal, removeDir, segmentFiles, tempDir } from './helpers.js';

const HEADER = 40;

describe('journal recovery', () => {
  let dir: string;
  const stores: JournalStore[] = [];
  const open = async (o: Partial<JournalOptions> = {}) => {
    const r = await openJournal({ dir, compactIntervalMs: 3_600_000, ...o });
    stores.push(r.store);
    return r;
  };
  const segPath = (n: number) => path.join(dir, `journal-${String(n).padStart(8, '0')}.wal`);

  /** Commits one at a time; returns the byte size of the newest segment file after each. */
  async function commitAll(batches: StoreOp[][], o: Partial<JournalOptions> = {}): Promise<{ ends: number[]; files: string[] }> {
    const { store } = await open(o);
    const ends: number[] = [];
    for (const b of batches) {
      await store.commit(b);
      const files = await segmentFiles(dir);
      ends.push((await fs.stat(path.join(dir, files[files.length - 1]!))).size);
    }
    await store.close();
    stores.pop();
    return { ends, files: await segmentFiles(dir) };
  }

  /** Independent batches: each adds one message to q, so any subset is a valid state. */
  const independent = (n: number): StoreOp[][] => [
    [{ kind: 'queue-put', queue: 'q', meta: bytes('') }],
    ...Array.from({ length: n }, (_, i): StoreOp[] => [
      { kind: 'message', id: `m${i}`, data: Buffer.alloc(100, i) },
      { kind: 'enqueue', queue: 'q', id: `m${i}`, seq: i },
    ]),
  ];

  beforeEach(async () => {
    dir = await tempDir();
  });

  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    await removeDir(dir);
  });

  it('cuts a torn tail at any offset back to a prefix of whole commits', async () => {
    const batches = randomBatches(3, 150, 300);
    const { ends } = await commitAll(batches);
    const file = segPath(1);
    const original = await fs.readFile(file);
    expect(original.length).toBe(ends[ends.length - 1]);
    const r = rng(99);
    const cuts = [0, 1, HEADER - 1, HEADER, HEADER + 1, original.length - 1, ...Array.from({ length: 60 }, () => Math.floor(r() * original.length))];
    for (const cut of cuts) {
      await removeDir(dir);
      await fs.mkdir(dir);
      await fs.writeFile(file, original.subarray(0, cut));
      const { lines, logger } = memoryLogger();
      const { store, state } = await open({ logger });
      const whole = ends.filter((e) => e <= cut).length;
      expect(plain(state), `cut at ${cut}`).toEqual(await modelState(batches.slice(0, whole)));
      const kept = whole ? ends[whole - 1]! : HEADER;
      if (cut !== kept) {
        const warn = lines.find((l) => l.level === 'warn');
        expect(warn?.obj, `cut at ${cut}`).toMatchObject({ segment: 'journal-00000001.wal', droppedBytes: cut < HEADER ? cut : cut - kept });
      }
      // A torn header: the segment held nothing and goes; else it is cut at the last whole record.
      expect(store.stats().recovery!.truncatedBytes).toBe(cut < HEADER ? cut : cut - kept);
      expect(store.stats().recovery!.segments).toBe(cut < HEADER ? 0 : 1);
      await store.close();
      stores.pop();
    }
  });

  it('cuts only the last segment when several exist', async () => {
    const batches = independent(60);
    const { files } = await commitAll(batches, { segmentBytes: 2048 });
    expect(files.length).toBeGreaterThan(2);
    const last = path.join(dir, files[files.length - 1]!);
    await fs.truncate(last, (await fs.stat(last)).size - 7);
    const { state } = await open({ segmentBytes: 2048 });
    expect(plain(state)).toEqual(await modelState(batches.slice(0, batches.length - 1)));
  });

  it('truncates a zero-filled tail and logs what it dropped', async () => {
    const batches = independent(20);
    const { ends } = await commitAll(batches);
    await fs.appendFile(segPath(1), Buffer.alloc(4096));
    const { lines, logger } = memoryLogger();
    const { state } = await open({ logger });
    expect(plain(state)).toEqual(await modelState(batches));
    expect(lines.find((l) => l.level === 'warn')!.obj).toMatchObject({
      segment: 'journal-00000001.wal', offset: ends[ends.length - 1], droppedBytes: 4096,
    });
    expect((await fs.stat(segPath(1))).size).toBe(ends[ends.length - 1]);
  });

  it('refuses to open on a flipped bit in the middle, naming segment and offset', async () => {
    const batches = independent(20);
    const { ends } = await commitAll(batches);
    const at = ends[9]!; // the record of batch 10 starts where batch 9's ended
    const buf = await fs.readFile(segPath(1));
    buf[at + 20]! ^= 0x04;
    await fs.writeFile(segPath(1), buf);
    const err = await new JournalStore({ dir }).open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerError);
    expect((err as BrokerError).code).toBe('STORE_FAILED');
    expect((err as BrokerError).message).toContain('journal-00000001.wal');
    expect((err as BrokerError).message).toContain(`byte offset ${at}`);
    // The file was left as it was.
    expect((await fs.readFile(segPath(1))).equals(buf)).toBe(true);
  });

  it('refuses to open on a bad last record of a segment that is not the last', async () => {
    const batches = independent(40);
    const { files } = await commitAll(batches, { segmentBytes: 2048 });
    expect(files.length).toBeGreaterThan(1);
    const first = path.join(dir, files[0]!);
    const buf = await fs.readFile(first);
    buf[buf.length - 3]! ^= 0xff;
    await fs.writeFile(first, buf);
    const err = (await new JournalStore({ dir }).open().catch((e: unknown) => e)) as BrokerError;
    expect(err.code).toBe('STORE_FAILED');
    expect(err.message).toMatch(/journal-00000001\.wal is corrupt at byte offset \d+/);
  });

  it('with skipCorrupt quarantines the bad record, goes on, and compaction cleans the segment', async () => {
    const batches = independent(20);
    const { ends } = await commitAll(batches);
    const at = ends[9]!;
    const len = ends[10]! - at;
    const buf = await fs.readFile(segPath(1));
    buf[at + 30]! ^= 0x01;
    await fs.writeFile(segPath(1), buf);
    const { lines, logger } = memoryLogger();
    const { store, state } = await open({ skipCorrupt: true, logger });
    const ids = state.queues.get('q')!.entries.map((e) => e.id);
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).filter((id) => id !== 'm9'));
    const q = await fs.readFile(path.join(dir, 'quarantine', `journal-00000001.wal@${at}.bad`));
    expect(q.equals(buf.subarray(at, at + len))).toBe(true);
    expect(lines.some((l) => l.level === 'error' && l.obj.offset === at)).toBe(true);
    await store.compact();
    await store.close();
    const again = await open();
    expect(again.state.queues.get('q')!.entries.map((e) => e.id)).toEqual(ids);
  });

  it('removes a last segment with a truncated header; refuses one in the middle unless skipCorrupt', async () => {
    const batches = independent(40);
    const { files } = await commitAll(batches, { segmentBytes: 2048 });
    const next = files.length + 1;
    const full = await fs.readFile(path.join(dir, files[0]!));
    await fs.writeFile(segPath(next), full.subarray(0, 20));
    const { lines, logger } = memoryLogger();
    const r1 = await open({ logger, segmentBytes: 2048 });
    expect(plain(r1.state)).toEqual(await modelState(batches));
    expect(lines.find((l) => l.level === 'warn')!.obj).toMatchObject({ offset: 0, droppedBytes: 20 });
    await r1.store.close();
    await expect(fs.stat(segPath(next))).rejects.toThrow();

    expect(files.length).toBeGreaterThan(2);
    const lost = (await fs.readFile(segPath(2))).length;
    await fs.truncate(segPath(2), 20);
    const err = (await new JournalStore({ dir }).open().catch((e: unknown) => e)) as BrokerError;
    expect(err.code).toBe('STORE_FAILED');
    expect(err.message).toContain('journal-00000002.wal is corrupt at byte offset 0');
    const r2 = await open({ skipCorrupt: true, segmentBytes: 2048 });
    const left = r2.state.queues.get('q')!.entries.length;
    expect(left).toBeLessThan(40);
    expect(left).toBeGreaterThan(40 - lost / 100);
    expect((await fs.stat(path.join(dir, 'quarantine', 'journal-00000002.wal'))).size).toBe(20);
  });

  it('removes leftover compaction temp files', async () => {
    const batches = independent(5);
    await commitAll(batches);
    await fs.writeFile(`${segPath(1)}.compact.tmp`, Buffer.from('half a segment'));
    const { store, state } = await open();
    expect(plain(state)).toEqual(await modelState(batches));
    expect(store.stats().recovery!.tempFilesRemoved).toBe(1);
  });

  it('writes, recovers and reports the epoch, and refuses a journal from a newer epoch', async () => {
    await commitAll(independent(3), { epoch: 7 });
    expect((await fs.readFile(segPath(1))).readBigUInt64LE(16)).toBe(7n);
    const err = (await new JournalStore({ dir, epoch: 3 }).open().catch((e: unknown) => e)) as BrokerError;
    expect(err.code).toBe('STORE_FAILED');
    expect(err.message).toMatch(/epoch 7.*fenced/);
    const { store } = await open({ epoch: 9 });
    expect(store.stats()).toMatchObject({ epoch: 9, recoveredEpoch: 7 });
    await store.commit([{ kind: 'kv-put', space: 's', key: 'k', value: bytes('v') }]);
    await store.close();
    expect((await fs.readFile(segPath(2))).readBigUInt64LE(16)).toBe(9n);
  });
});
