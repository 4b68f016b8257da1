import path from 'node:path';
import { BrokerError } from '../../spi/errors.js';
import { fsyncDir, writeFully, writeFullySync, type JournalIo } from './journal-io.js';
import { SegmentEntry, type JournalIndex, type RecId } from './journal-index.js';
import { ByteSink } from './record-codec.js';
import {
  encodeSegmentHeader, frameRecord, recordSeed, RECORD_HEADER_BYTES, RECORD_TYPE_BATCH, SEGMENT_HEADER_BYTES,
} from './segment.js';

/** A record that commits share stops taking more once this large (it is compacted as one). */
const MAX_SHARED_RECORD_BYTES = 256 * 1024;

export type SyncPolicy = 'always' | 'interval';

export interface GroupCommitOptions {
  dir: string;
  io: JournalIo;
  index: JournalIndex;
  sync: SyncPolicy;
  syncIntervalMs: number;
  /**
   * Write and fdatasync in the event loop, once per loop turn for everything committed in it
   * (as Redis's appendfsync always): no thread-pool round trip per group, which under load costs
   * more than a local disk's flush, but the loop waits for the disk. Off: in libuv's thread pool.
   */
  inline: boolean;
  segmentBytes: number;
  epoch: number;
  /** The number for the first segment this writer creates. */
  nextSegmentNo: number;
  /** Asked before a group is acknowledged: false fails the writer (the HA lease was lost). */
  mayAcknowledge(): boolean;
  /** A segment was fully written, synced and closed. */
  onSealed(seg: SegmentEntry): void;
  /** A write or sync failed; the writer refuses all further work. */
  onFailure(err: BrokerError): void;
}

export interface GroupCommitStats {
  /** write() calls. */
  writes: number;
  /** fdatasync() calls on segment files. */
  syncs: number;
  bytesWritten: number;
  /** Groups of commits flushed together. */
  groups: number;
  /** Records written: the commits of a group that changed something share one (see begin()). */
  records: number;
}

/** The bytes for one segment within a group. */
interface Run {
  seg: SegmentEntry;
  sink: ByteSink;
  /** File offset of sink byte 0; 0 when the run creates the file (the header comes first). */
  fileOffset: number;
}

class Signal {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (e: Error) => void;

  constructor() {
    this.promise = new Promise<void>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.promise.catch(() => {}); // callers see the rejection; an unclaimed one must not crash
  }
}

/** The commits waiting for the next write: their bytes and one promise pair for all of them. */
class Group {
  runs: Run[] = [];
  waited = false;
  /** Some commit in the group waits for fdatasync (under the `always` policy); relaxed ones do not. */
  syncWanted = false;
  private outcome: 'pending' | 'ok' | BrokerError = 'pending';
  private durableSignal: Signal | undefined;
  private drainedSignal: Signal | undefined;

  /** Resolves when the group is durable (per the sync policy); rejects if writing fails. */
  durable(): Promise<void> {
    this.waited = true;
    this.syncWanted = true;
    if (this.outcome === 'ok') return Promise.resolve();
    if (this.outcome !== 'pending') return Promise.reject(this.outcome);
    return (this.durableSignal ??= new Signal()).promise;
  }

  /** Resolves when the group was written (and synced if `sync`) or failed: for removal-only commits. */
  drained(sync: boolean): Promise<void> {
    this.waited = true;
    if (sync) this.syncWanted = true;
    if (this.outcome !== 'pending') return Promise.resolve();
    return (this.drainedSignal ??= new Signal()).promise;
  }

  settle(err?: BrokerError): void {
    if (this.outcome !== 'pending') return;
    this.outcome = err ?? 'ok';
    if (err) this.durableSignal?.reject(err);
    else this.durableSignal?.resolve();
    this.drainedSignal?.resolve();
  }
}

function storeFailed(e: unknown, what: string): BrokerError {
  if (e instanceof BrokerError) return e;
  const err = e as NodeJS.ErrnoException;
  return new BrokerError('STORE_FAILED', `journal ${what} failed: ${err.code ?? ''} ${err.message ?? String(e)}`.trim());
}

/**
 * Group commit: commits are encoded straight into the pending group's buffer; while one group is
 * being written and synced, later commits accumulate in the next, which then goes out as one
 * write() and one fdatasync(), and every commit in it resolves together.
 *
 * Sync policy: `always` resolves a group after fdatasync (survives power loss). `interval`
 * resolves after write() — the data is in the page cache and survives a process crash, not a
 * kernel crash or power loss — and fdatasyncs every syncIntervalMs, so up to that long of
 * acknowledged commits can be lost with the machine. A segment is always synced before the next
 * one gets data, so a lost tail is always at the end of the journal. Under `always`, a group of
 * relaxed commits only (written()) is not synced by itself: the next synced group covers it (an
 * fdatasync covers every earlier write to the file), or the relaxed-sync timer.
 */
export class GroupCommit {
  readonly stats: GroupCommitStats = { writes: 0, syncs: 0, bytesWritten: 0, groups: 0, records: 0 };
  private cur: SegmentEntry;
  private pending = new Group();
  private readonly fds = new Map<SegmentEntry, number>();
  /** Segments whose header has been queued (their file exists or is about to). */
  private readonly headed = new WeakSet<SegmentEntry>();
  /** Rolled segments not yet synced and closed, oldest first. */
  private readonly toSeal: SegmentEntry[] = [];
  /** Segments written since their last fdatasync (interval policy). */
  private readonly dirty = new Set<SegmentEntry>();
  private readonly spareSinks: ByteSink[] = [];
  /** The record the next commit adds to, if it fits; framed when its group is written. */
  private openRecord: RecId | undefined;
  private recordStart = 0;
  private flushing = false;
  private syncDue = false;
  private failure: BrokerError | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  /** `always` policy: syncs what relaxed groups left unsynced, syncIntervalMs after the first. */
  private relaxedTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: GroupCommitOptions) {
    this.cur = this.newSegment(o.nextSegmentNo);
    if (o.sync === 'interval') {
      this.timer = setInterval(() => {
        if (this.dirty.size === 0) return;
        this.syncDue = true;
        this.kick();
      }, o.syncIntervalMs);
      this.timer.unref();
    }
  }

  get current(): SegmentEntry {
    return this.cur;
  }

  /** The buffer the current record's ops are encoded into. */
  get sink(): ByteSink {
    return this.pending.runs[this.pending.runs.length - 1]!.sink;
  }

  /**
   * Starts a commit's ops (at most `maxBytes` of them): in the open record, the one the commits of
   * the pending group share, or else in a new record in the current segment, rolling first if it
   * is full. One record per group rather than per commit saves its framing and checksum per
   * commit; the commits sharing it resolve together anyway, and recovery replays all of them or
   * none (a torn record), so each commit stays atomic and ordered. Compaction keeps a record
   * while any op in it is live, and copies only the live ops.
   */
  begin(maxBytes: number): RecId {
    if (this.openRecord !== undefined) {
      if (this.sink.len - this.recordStart + maxBytes <= MAX_SHARED_RECORD_BYTES) return this.openRecord;
      this.closeRecord();
    }
    if (this.cur.size >= this.o.segmentBytes && this.cur.records.length > 0) this.roll();
    const seg = this.cur;
    let run = this.pending.runs[this.pending.runs.length - 1];
    if (!run || run.seg !== seg) {
      const sink = this.spareSinks.pop() ?? new ByteSink(256 * 1024);
      const creates = !this.headed.has(seg);
      run = { seg, sink, fileOffset: creates ? 0 : seg.size };
      if (creates) {
        this.headed.add(seg);
        sink.ensure(SEGMENT_HEADER_BYTES);
        encodeSegmentHeader({ flags: 0, generation: 0, epoch: this.o.epoch, segmentNo: seg.no }, sink.buf, 0);
        sink.len = SEGMENT_HEADER_BYTES;
      }
      this.pending.runs.push(run);
    }
    this.recordStart = run.sink.len;
    run.sink.ensure(RECORD_HEADER_BYTES);
    run.sink.len += RECORD_HEADER_BYTES;
    this.openRecord = this.o.index.newRecord(seg, seg.size);
    return this.openRecord;
  }

  /** Frames the open record, or drops it when no op was written to it: the next commit starts a new one. */
  closeRecord(): void {
    const rec = this.openRecord;
    if (rec === undefined) return;
    this.openRecord = undefined;
    const sink = this.sink;
    if (sink.len === this.recordStart + RECORD_HEADER_BYTES) {
      sink.len = this.recordStart;
      this.o.index.discardRecord(rec);
      return;
    }
    frameRecord(sink.buf, this.recordStart, sink.len, RECORD_TYPE_BATCH, recordSeed(this.cur.no));
    this.o.index.sealRecord(rec, sink.len - this.recordStart);
    this.stats.records++;
  }

  /** Resolves when everything committed so far is durable. */
  durable(): Promise<void> {
    const p = this.pending.durable();
    this.kick();
    return p;
  }

  /** Resolves when everything committed so far was written and synced, or writing failed. */
  drained(): Promise<void> {
    const p = this.pending.drained(true);
    this.kick();
    return p;
  }

  /**
   * Resolves when everything committed so far was written, or writing failed, without forcing an
   * fdatasync: the next synced group covers it, or the relaxed-sync timer within syncIntervalMs.
   */
  written(): Promise<void> {
    const p = this.pending.drained(false);
    this.kick();
    return p;
  }

  /** Closes the current segment (once its writes are done) so that compaction may take it. */
  roll(): void {
    this.closeRecord();
    const seg = this.cur;
    if (!this.headed.has(seg)) return; // nothing written to it, nothing to close
    this.toSeal.push(seg);
    this.cur = this.newSegment(seg.no + 1);
    this.kick();
  }

  /** Flushes, syncs and closes every file. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    clearTimeout(this.relaxedTimer);
    if (!this.failure) {
      this.syncDue = true;
      await this.drained();
    }
    for (const fd of this.fds.values()) await this.o.io.close(fd).catch(() => {});
    this.fds.clear();
  }

  private newSegment(no: number): SegmentEntry {
    const seg = new SegmentEntry(no, this.o.epoch, 0, SEGMENT_HEADER_BYTES, false);
    this.o.index.addSegment(seg);
    return seg;
  }

  private kick(): void {
    if (this.flushing || this.failure) return;
    this.flushing = true;
    // Async: start on a microtask, so commits issued in the same tick share the first write too;
    // later ones gather while it is in flight. Inline: after this loop turn's I/O callbacks, so
    // that what every connection sent in it shares one write and one fdatasync.
    if (this.o.inline) setImmediate(this.runLoop);
    else queueMicrotask(this.runLoop);
  }

  private readonly runLoop = (): void => void this.loop();

  private hasWork(): boolean {
    const g = this.pending;
    return g.runs.length > 0 || g.waited || this.toSeal.length > 0 || this.syncDue;
  }

  private async loop(): Promise<void> {
    let group: Group | undefined;
    try {
      for (;;) {
        this.closeRecord();
        if (!this.hasWork()) break;
        group = this.pending;
        this.pending = new Group();
        for (const run of group.runs) {
          await this.sealOlderThan(run.seg.no);
          await this.writeRun(run, group.syncWanted);
        }
        if (this.syncDue) {
          this.syncDue = false;
          for (const seg of [...this.dirty]) await this.sync(seg);
        }
        await this.sealIdle();
        if (!this.o.mayAcknowledge()) {
          throw new BrokerError('STORE_FAILED', 'journal: this process no longer holds the HA lease; nothing more is acknowledged');
        }
        this.stats.groups++;
        for (const run of group.runs) this.recycle(run.sink);
        group.settle();
        group = undefined;
        // Inline: one group per loop turn; the next gathers what arrives meanwhile.
        if (this.o.inline) break;
      }
    } catch (e) {
      this.failure = storeFailed(e, 'write');
      group?.settle(this.failure);
      this.pending.settle(this.failure);
      this.o.onFailure(this.failure);
    } finally {
      this.flushing = false;
    }
    if (this.o.inline && this.hasWork()) this.kick();
  }

  private async writeRun(run: Run, syncWanted: boolean): Promise<void> {
    const { io } = this.o;
    let fd = this.fds.get(run.seg);
    const creating = fd === undefined;
    if (fd === undefined) {
      fd = await io.open(path.join(this.o.dir, run.seg.file), 'wx');
      this.fds.set(run.seg, fd);
    }
    if (this.o.inline) writeFullySync(io, fd, run.sink.buf, 0, run.sink.len, run.fileOffset);
    else await writeFully(io, fd, run.sink.buf, 0, run.sink.len, run.fileOffset);
    this.stats.writes++;
    this.stats.bytesWritten += run.sink.len;
    this.dirty.add(run.seg);
    if (this.o.sync === 'always') {
      if (syncWanted) await this.sync(run.seg);
      else this.armRelaxedSync();
    }
    if (creating) await fsyncDir(io, this.o.dir);
  }

  private armRelaxedSync(): void {
    if (this.relaxedTimer) return;
    this.relaxedTimer = setTimeout(() => {
      this.relaxedTimer = undefined;
      if (this.dirty.size === 0) return;
      this.syncDue = true;
      this.kick();
    }, this.o.syncIntervalMs);
    this.relaxedTimer.unref();
  }

  private async sync(seg: SegmentEntry): Promise<void> {
    const fd = this.fds.get(seg);
    this.dirty.delete(seg);
    if (fd === undefined) return;
    if (this.o.inline) this.o.io.fdatasyncSync(fd);
    else await this.o.io.fdatasync(fd);
    this.stats.syncs++;
  }

  private async sealOlderThan(no: number): Promise<void> {
    while (this.toSeal.length && this.toSeal[0]!.no < no) await this.seal(this.toSeal.shift()!);
  }

  /** Seals rolled segments that have nothing left to write. */
  private async sealIdle(): Promise<void> {
    while (this.toSeal.length && !this.pending.runs.some((r) => r.seg === this.toSeal[0])) {
      await this.seal(this.toSeal.shift()!);
    }
  }

  private async seal(seg: SegmentEntry): Promise<void> {
    const fd = this.fds.get(seg);
    if (fd !== undefined) {
      if (this.dirty.has(seg)) await this.sync(seg);
      this.fds.delete(seg);
      await this.o.io.close(fd);
    }
    seg.sealed = true;
    this.o.onSealed(seg);
  }

  private recycle(sink: ByteSink): void {
    sink.len = 0;
    if (this.spareSinks.length < 4 && sink.buf.length <= 16 * 1024 * 1024) this.spareSinks.push(sink);
  }
}
