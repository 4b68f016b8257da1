import { BrokerError } from '../../spi/errors.js';
import type { CommitOptions, RecoveredState, Store, StoreHealth, StoreOp } from '../store.js';
import { Compactor, type CompactionStats } from './compaction.js';
import { GroupCommit, type GroupCommitStats } from './group-commit.js';
import type { JournalIndex } from './journal-index.js';
import { onNetworkFileSystem } from './journal-io.js';
import { resolveJournalOptions, type JournalOptions, type ResolvedJournalOptions } from './journal-options.js';
import { encodeMessageDrop, encodeOp, encodeSeal, markBodyDropped } from './record-codec.js';
import { recoverJournal, type RecoveryReport } from './recovery.js';
import { MAX_RECORD_BYTES } from './segment.js';

type Lifecycle = 'new' | 'opening' | 'open' | 'closing' | 'closed';

const TRANSITIONS: Record<Lifecycle, readonly Lifecycle[]> = {
  new: ['opening', 'closed'],
  opening: ['open', 'closed'],
  open: ['closing'],
  closing: ['closed'],
  closed: [],
};

export interface JournalStats extends GroupCommitStats {
  /** commit() calls that were written (or resolved as no-ops). */
  commits: number;
  /** `message` ops written. */
  messages: number;
  segments: number;
  usedBytes: number;
  liveBytes: number;
  /** Commits waiting for space. */
  blocked: number;
  compaction: CompactionStats;
  /** The epoch new segments are written under. */
  epoch: number;
  /** The newest epoch found in the journal at open. */
  recoveredEpoch: number;
  recovery: RecoveryReport | undefined;
}

interface Blocked {
  ops: StoreOp[];
  maxBytes: number;
  resolve(): void;
  reject(e: Error): void;
}

const REMOVALS = new Set<StoreOp['kind']>(['dequeue', 'queue-delete', 'kv-delete']);

/** Dequeue, queue-delete and kv-delete only: let through when full or failed, so consumers drain. */
function isRemovalOnly(ops: StoreOp[]): boolean {
  for (const op of ops) if (!REMOVALS.has(op.kind)) return false;
  return true;
}

/** Holds back only commits that bring new bytes (bodies, kv values) when the store is full. */
function addsData(ops: StoreOp[]): boolean {
  for (const op of ops) if (op.kind === 'message' || op.kind === 'kv-put') return true;
  return false;
}

/** More than a seal op takes (record-codec.ts). */
const SEAL_MAX_BYTES = 64;

function invalid(op: unknown, why: string): BrokerError {
  return new BrokerError('INTERNAL', `invalid store op ${(op as { kind?: string } | undefined)?.kind ?? typeof op}: ${why}`);
}

function strBytes(op: StoreOp, v: unknown): number {
  if (typeof v !== 'string') throw invalid(op, 'names must be strings');
  return v.length * 3 + 4;
}

function binBytes(op: StoreOp, v: unknown): number {
  if (!(v instanceof Uint8Array)) throw invalid(op, 'data, meta and values must be Uint8Arrays');
  return v.length + 4;
}

function checkCount(op: StoreOp, v: unknown): void {
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw invalid(op, 'seq and count must be non-negative safe integers');
}

/** Checks what the encoder relies on, before any op touches the index; returns an upper bound of the ops' encoded size. */
function validate(ops: StoreOp[]): number {
  if (!Array.isArray(ops)) throw invalid(ops, 'ops must be an array');
  let bytes = 0;
  for (const op of ops) {
    switch (op?.kind) {
      case 'message': bytes += strBytes(op, op.id) + binBytes(op, op.data); break;
      case 'enqueue': bytes += strBytes(op, op.queue) + strBytes(op, op.id); checkCount(op, op.seq); break;
      case 'dequeue': bytes += strBytes(op, op.queue) + strBytes(op, op.id); break;
      case 'delivery-count': bytes += strBytes(op, op.queue) + strBytes(op, op.id); checkCount(op, op.count); break;
      case 'queue-put': bytes += strBytes(op, op.queue) + binBytes(op, op.meta); break;
      case 'queue-delete': bytes += strBytes(op, op.queue); break;
      case 'kv-put': bytes += strBytes(op, op.space) + strBytes(op, op.key) + binBytes(op, op.value); break;
      case 'kv-delete': bytes += strBytes(op, op.space) + strBytes(op, op.key); break;
      default: throw invalid(op, 'unknown kind');
    }
  }
  if (bytes > MAX_RECORD_BYTES) throw new BrokerError('MESSAGE_TOO_LARGE', `a commit of ${bytes} bytes exceeds the journal record limit`);
  return bytes;
}

/**
 * The file-backed Store: an append-only journal of commit records in segment files, with group
 * commit, recovery that cuts torn tails, and background compaction. See segment.ts and
 * record-codec.ts for the bytes, journal-index.ts for what stays live.
 *
 * Faults. A write or fsync error fails the store for good (health().ok false): every later
 * commit rejects STORE_FAILED, except removal-only commits, which resolve without being written
 * so consumers keep draining (after a restart those messages are delivered again). Everything
 * that resolved before the error is on disk. At maxBytes, commits adding bodies or kv values wait
 * (or reject STORE_FULL) until compaction frees space; everything else goes through.
 */
export class JournalStore implements Store {
  readonly kind = 'journal';
  private readonly o: ResolvedJournalOptions;
  private lifecycle: Lifecycle = 'new';
  private opening: Promise<RecoveredState> | undefined;
  private index: JournalIndex | undefined;
  private writer: GroupCommit | undefined;
  private compactor: Compactor | undefined;
  private failure: BrokerError | undefined;
  private blocked: Blocked[] = [];
  private recovery: RecoveryReport | undefined;
  private readonly counters = { commits: 0, messages: 0 };

  constructor(options: JournalOptions) {
    this.o = resolveJournalOptions(options);
  }

  open(): Promise<RecoveredState> {
    if (this.lifecycle !== 'new') return Promise.reject(new BrokerError('STORE_FAILED', `the journal is ${this.lifecycle}`));
    this.transition('opening');
    this.opening = this.doOpen();
    return this.opening;
  }

  commit(ops: StoreOp[], options?: CommitOptions): Promise<void> {
    if (this.lifecycle !== 'open') return Promise.reject(new BrokerError('STORE_FAILED', `the journal is ${this.lifecycle}`));
    let maxBytes: number;
    try {
      maxBytes = validate(ops);
    } catch (e) {
      return Promise.reject(e);
    }
    const removal = isRemovalOnly(ops);
    if (this.failure) return removal ? Promise.resolve() : Promise.reject(this.failure);
    if (addsData(ops) && (this.blocked.length > 0 || this.isFull())) {
      void this.compactor!.schedule();
      if (this.o.onFull === 'fail') {
        return Promise.reject(new BrokerError('STORE_FULL', `the journal reached its size limit of ${this.o.maxBytes} bytes`));
      }
      return new Promise((resolve, reject) => this.blocked.push({ ops, maxBytes, resolve, reject }));
    }
    const done = this.append(ops, maxBytes, removal, removal && options?.relaxed === true && ops.every((op) => op.kind === 'dequeue'));
    if (this.isFull()) void this.compactor!.schedule();
    return done;
  }

  health(): StoreHealth {
    return {
      ok: !this.failure,
      ...(this.failure ? { error: this.failure.message } : {}),
      usedBytes: this.index?.totalBytes ?? 0,
      full: this.blocked.length > 0 || this.isFull(),
    };
  }

  stats(): JournalStats {
    const segments = this.index?.segments ?? [];
    return {
      ...this.counters,
      ...(this.writer?.stats ?? { writes: 0, syncs: 0, bytesWritten: 0, groups: 0, records: 0 }),
      segments: segments.length,
      usedBytes: this.index?.totalBytes ?? 0,
      liveBytes: segments.reduce((n, s) => n + s.liveBytes, 0),
      blocked: this.blocked.length,
      compaction: { ...(this.compactor?.stats ?? { segmentsDeleted: 0, segmentsRewritten: 0, bytesReclaimed: 0, errors: 0 }) },
      epoch: this.o.epoch,
      recoveredEpoch: this.recovery?.epoch ?? 0,
      recovery: this.recovery,
    };
  }

  /** Runs compaction now and resolves when it finds nothing more to do. */
  async compact(): Promise<void> {
    if (this.lifecycle === 'open' && !this.failure) await this.compactor!.schedule();
  }

  async close(): Promise<void> {
    if (this.lifecycle === 'opening') await this.opening!.catch(() => {});
    if (this.lifecycle === 'new') this.transition('closed');
    if (this.lifecycle !== 'open') return;
    this.transition('closing');
    this.rejectBlocked(new BrokerError('STORE_FAILED', 'the journal was closed'));
    await this.compactor!.stop();
    await this.writer!.close();
    this.transition('closed');
  }

  private async doOpen(): Promise<RecoveredState> {
    const o = this.o;
    try {
      const { index, state, report } = await recoverJournal({
        dir: o.dir, io: o.io, logger: o.logger, skipCorrupt: o.skipCorrupt, epoch: o.epoch,
      });
      this.index = index;
      this.recovery = report;
      const inline = o.inlineSync === 'on' || (o.inlineSync === 'auto' && !(await onNetworkFileSystem(o.dir)));
      o.logger.info({ dir: o.dir, inlineSync: o.inlineSync, inline }, inline
        ? 'journal: group commits write and sync in the event loop'
        : 'journal: group commits write and sync in the thread pool');
      this.writer = new GroupCommit({
        dir: o.dir, io: o.io, index, sync: o.sync, syncIntervalMs: o.syncIntervalMs, inline, segmentBytes: o.segmentBytes,
        epoch: o.epoch, nextSegmentNo: report.nextSegmentNo,
        mayAcknowledge: o.mayAcknowledge,
        onSealed: () => void this.compactor?.schedule(),
        onFailure: (err) => this.fail(err),
      });
      this.compactor = new Compactor({
        dir: o.dir, io: o.io, index, logger: o.logger, belowLiveFraction: o.compactBelowLiveFraction,
        intervalMs: o.compactIntervalMs,
        current: () => this.writer!.current,
        isFull: () => this.isFull(),
        rollCurrent: () => this.writer!.roll(),
        onFreed: () => this.admitBlocked(),
        mayMutate: o.mayAcknowledge,
      });
      if (o.epoch > 0) await this.seal(report);
      this.transition('open');
      void this.compactor.schedule();
      return state;
    } catch (e) {
      this.transition('closed');
      await this.compactor?.stop();
      await this.writer?.close().catch(() => {});
      if (e instanceof BrokerError) throw e;
      const err = e as NodeJS.ErrnoException;
      throw new BrokerError('STORE_FAILED', `journal open failed: ${err.code ?? ''} ${err.message}`.trim());
    }
  }

  /**
   * Epoch fencing: the first record of this writer's first segment records where the journal
   * ended when it took over (recovery.ts). Creating that segment now, exclusively, also keeps a
   * stale writer from rolling into the number this one uses.
   */
  private async seal(report: RecoveryReport): Promise<void> {
    const rec = this.writer!.begin(SEAL_MAX_BYTES);
    encodeSeal(this.writer!.sink, this.o.epoch, report.lastSegmentNo, report.lastSegmentEnd);
    this.index!.seal(rec, this.o.epoch, report.lastSegmentNo);
    // A record of its own: recovery looks for it in the first bytes of the segment only.
    this.writer!.closeRecord();
    await this.writer!.durable();
  }

  /** Encodes the effective ops of a commit (at most about `maxBytes`) into the pending group's record. */
  private append(ops: StoreOp[], maxBytes: number, removal: boolean, relaxed = false): Promise<void> {
    try {
      return this.encode(ops, maxBytes, removal, relaxed);
    } catch (e) {
      // A bug, not a disk fault; but the index may now be ahead of the journal: stop writing.
      this.fail(new BrokerError('STORE_FAILED', `journal commit failed: ${(e as Error).message}`));
      return Promise.reject(this.failure);
    }
  }

  private encode(ops: StoreOp[], maxBytes: number, removal: boolean, relaxed: boolean): Promise<void> {
    const writer = this.writer!;
    const index = this.index!;
    const rec = writer.begin(maxBytes);
    const sink = writer.sink;
    for (const op of ops) {
      const before = sink.len;
      encodeOp(sink, op);
      if (!index.apply(op, rec, sink.len - before)) {
        sink.len = before;
        continue;
      }
      if (op.kind === 'message') this.counters.messages++;
      if (index.droppedCount === 0) continue;
      if (op.kind === 'dequeue') markBodyDropped(sink, before);
      else for (let i = 0; i < index.droppedCount; i++) encodeMessageDrop(sink, index.dropped[i]!);
    }
    this.counters.commits++;
    if (relaxed) return writer.written();
    return removal ? writer.drained() : writer.durable();
  }

  private isFull(): boolean {
    return this.index !== undefined && this.index.totalBytes >= this.o.maxBytes;
  }

  private admitBlocked(): void {
    while (this.blocked.length && !this.isFull() && !this.failure && this.lifecycle === 'open') {
      const b = this.blocked.shift()!;
      this.append(b.ops, b.maxBytes, false).then(b.resolve, b.reject);
    }
  }

  private fail(err: BrokerError): void {
    if (this.failure) return;
    this.failure = err;
    this.o.logger.error({ err: err.message }, 'journal: write failed; the store is failed until restart');
    this.rejectBlocked(err);
    void this.compactor?.stop();
  }

  private rejectBlocked(err: BrokerError): void {
    const blocked = this.blocked;
    this.blocked = [];
    for (const b of blocked) b.reject(err);
  }

  private transition(to: Lifecycle): void {
    if (!TRANSITIONS[this.lifecycle].includes(to)) throw new BrokerError('INTERNAL', `journal cannot go from ${this.lifecycle} to ${to}`);
    this.lifecycle = to;
  }
}
