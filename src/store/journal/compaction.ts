import path from 'node:path';
import { fsyncDir, readFully, writeFully, type JournalIo } from './journal-io.js';
import type { JournalIndex, RecId, SegmentEntry } from './journal-index.js';
import type { JournalLogger } from './journal-options.js';
import { ByteSink, OpReader } from './record-codec.js';
import { TEMP_SUFFIX } from './recovery.js';
import {
  checksumMatches, encodeSegmentHeader, FLAG_COMPACTED, frameRecord, recordSeed, RECORD_HEADER_BYTES, RECORD_TYPE_BATCH,
  SEGMENT_HEADER_BYTES,
} from './segment.js';

export interface CompactorOptions {
  dir: string;
  io: JournalIo;
  index: JournalIndex;
  logger: JournalLogger;
  belowLiveFraction: number;
  intervalMs: number;
  /** The segment being appended to: never touched. */
  current(): SegmentEntry;
  /** True while the size limit is reached: then any segment with dead bytes is worth rewriting. */
  isFull(): boolean;
  /** Asks the writer to close the current segment so its dead bytes can be reclaimed. */
  rollCurrent(): void;
  /** Disk space was reclaimed. */
  onFreed(): void;
  /** False once this process lost its HA lease: then it must not touch the files any more. */
  mayMutate(): boolean;
}

export interface CompactionStats {
  segmentsDeleted: number;
  segmentsRewritten: number;
  bytesReclaimed: number;
  errors: number;
}

const READ_CHUNK_BYTES = 8 * 1024 * 1024;
const WRITE_CHUNK_BYTES = 4 * 1024 * 1024;
/** When full, rewrite a segment only if this many bytes would come back. */
const MIN_RECLAIM_BYTES = 4096;

class Aborted extends Error {}

/**
 * Background compaction. A sealed segment with no live record is deleted (unlink, directory
 * fsync). A sealed segment whose live fraction fell below the threshold (or any with dead bytes
 * while the store is full) is rewritten in place: its live ops, record by record, go to
 * `<segment>.compact.tmp`, which is fsynced and renamed over the segment, then the directory is
 * fsynced. The segment keeps its number, so replay order does not change. A crash before the
 * rename leaves the original and a temp file (recovery removes it); after it, the rewritten copy.
 * Only once the change is durable are the pins on the segment released (journal-index.ts).
 *
 * One segment at a time, with reads and writes in chunks between which commits carry on.
 */
export class Compactor {
  readonly stats: CompactionStats = { segmentsDeleted: 0, segmentsRewritten: 0, bytesReclaimed: 0, errors: 0 };
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly timer: NodeJS.Timeout;
  /** Segments whose compaction failed (I/O error): left alone until the next open. */
  private readonly skip = new WeakSet<SegmentEntry>();
  private readonly reader = new OpReader();

  constructor(private readonly o: CompactorOptions) {
    this.timer = setInterval(() => this.schedule(), o.intervalMs);
    this.timer.unref();
  }

  /** Runs a pass soon; resolves when no more work is found. */
  schedule(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again && !this.stopped);
      } catch (e) {
        this.stats.errors++;
        this.o.logger.error({ err: (e as Error).message }, 'journal: compaction pass failed');
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async pass(): Promise<void> {
    if (this.o.isFull()) this.rollIfWasteful();
    while (!this.stopped) {
      const cur = this.o.current();
      const ready = this.o.index.segments.filter((s) => s.sealed && s !== cur && !this.skip.has(s));
      const dead = ready.find((s) => s.liveRecords === 0);
      if (dead) {
        await this.guard(dead, () => this.delete(dead));
        continue;
      }
      const seg = this.pick(ready);
      if (!seg) return;
      await this.guard(seg, () => this.rewrite(seg));
    }
  }

  private rollIfWasteful(): void {
    const cur = this.o.current();
    const dead = cur.size - SEGMENT_HEADER_BYTES - cur.liveBytes;
    if (dead >= MIN_RECLAIM_BYTES) this.o.rollCurrent();
  }

  private pick(ready: SegmentEntry[]): SegmentEntry | undefined {
    const full = this.o.isFull();
    let best: SegmentEntry | undefined;
    for (const s of ready) {
      const dead = s.size - SEGMENT_HEADER_BYTES - s.liveBytes;
      const wanted = s.forceCompact || s.liveFraction() < this.o.belowLiveFraction || (full && dead >= MIN_RECLAIM_BYTES);
      if (wanted && (!best || s.liveFraction() < best.liveFraction())) best = s;
    }
    return best;
  }

  private async guard(seg: SegmentEntry, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (e) {
      if (e instanceof Aborted) return;
      this.skip.add(seg);
      this.stats.errors++;
      this.o.logger.error({ segment: seg.file, err: (e as Error).message }, 'journal: compaction failed; segment left as it is');
    }
  }

  private checkMayMutate(): void {
    if (this.o.mayMutate()) return;
    this.stopped = true;
    throw new Aborted();
  }

  private async delete(seg: SegmentEntry): Promise<void> {
    const { io, dir } = this.o;
    this.checkMayMutate();
    await io.unlink(path.join(dir, seg.file)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    await fsyncDir(io, dir);
    this.stats.segmentsDeleted++;
    this.stats.bytesReclaimed += seg.size;
    this.o.logger.debug({ segment: seg.file, bytes: seg.size }, 'journal: deleted dead segment');
    this.o.index.dropSegment(seg);
    this.o.onFreed();
  }

  private async rewrite(seg: SegmentEntry): Promise<void> {
    const { io, dir, index } = this.o;
    const file = path.join(dir, seg.file);
    const tmp = `${file}.compact${TEMP_SUFFIX}`;
    const ticket = index.beginRewrite(seg);
    let installed = false;
    try {
      const { kept, offsets, sizes, size } = await this.copyLive(seg, ticket.gen, file, tmp);
      if (this.stopped) throw new Aborted();
      this.checkMayMutate();
      await io.rename(tmp, file);
      await fsyncDir(io, dir);
      installed = true;
      const before = seg.size;
      index.rewroteSegment(seg, kept, offsets, sizes, size, ticket);
      this.stats.segmentsRewritten++;
      this.stats.bytesReclaimed += before - size;
      this.o.logger.debug({ segment: seg.file, before, after: size }, 'journal: rewrote segment');
      this.o.onFreed();
    } finally {
      if (!installed) {
        index.abandonRewrite(seg, ticket);
        await io.unlink(tmp).catch(() => {});
      }
    }
  }

  /** Writes the live ops of `seg` to `tmp`, synced; returns where each kept record went. */
  private async copyLive(seg: SegmentEntry, generation: number, file: string, tmp: string) {
    const { io, index } = this.o;
    const seed = recordSeed(seg.no);
    const kept: RecId[] = [];
    const offsets: number[] = [];
    const sizes: number[] = [];
    const src = await io.open(file, 'r');
    let out: number | undefined;
    try {
      out = await io.open(tmp, 'w');
      const sink = new ByteSink(WRITE_CHUNK_BYTES + 1024 * 1024);
      encodeSegmentHeader({ flags: FLAG_COMPACTED, generation, epoch: seg.epoch, segmentNo: seg.no }, sink.buf, 0);
      sink.len = SEGMENT_HEADER_BYTES;
      let written = 0;
      let buf = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, seg.size));
      let bufStart = 0;
      let bufLen = 0;
      for (const rec of seg.records) {
        if (!index.isRecordLive(rec)) continue;
        const off = index.recordOffset(rec);
        const bytes = index.recordBytes(rec);
        if (off < bufStart || off + bytes > bufStart + bufLen) {
          if (bytes > buf.length) buf = Buffer.allocUnsafe(bytes);
          bufStart = off;
          bufLen = await readFully(io, src, buf, 0, buf.length, off);
          if (this.stopped) throw new Aborted();
          // Its last live ops may have been deleted while it was read: then it goes.
          if (!index.isRecordLive(rec)) continue;
        }
        const p = off - bufStart;
        if (bufLen - p < bytes || !checksumMatches(buf, p, p + bytes, seed)) {
          throw new Error(`record at byte offset ${off} no longer matches its checksum`);
        }
        const start = sink.len;
        sink.ensure(RECORD_HEADER_BYTES);
        sink.len += RECORD_HEADER_BYTES;
        const r = this.reader.reset(buf, p + RECORD_HEADER_BYTES, p + bytes);
        while (r.next()) if (index.isOpLive(r, rec)) sink.raw(buf, r.opStart, r.opEnd);
        if (sink.len === start + RECORD_HEADER_BYTES) {
          // Live units but no live op would be an index bug: keep the record whole rather than lose it.
          sink.len = start;
          sink.raw(buf, p, p + bytes);
          this.o.logger.warn({ segment: seg.file, offset: off }, 'journal: live record without live ops kept whole');
        } else {
          frameRecord(sink.buf, start, sink.len, RECORD_TYPE_BATCH, seed);
        }
        kept.push(rec);
        offsets.push(written + start);
        sizes.push(sink.len - start);
        if (sink.len >= WRITE_CHUNK_BYTES) {
          await writeFully(io, out, sink.buf, 0, sink.len, written);
          written += sink.len;
          sink.len = 0;
        }
      }
      await writeFully(io, out, sink.buf, 0, sink.len, written);
      written += sink.len;
      await io.fsync(out);
      return { kept, offsets, sizes, size: written };
    } finally {
      await io.close(src).catch(() => {});
      if (out !== undefined) await io.close(out).catch(() => {});
    }
  }
}
