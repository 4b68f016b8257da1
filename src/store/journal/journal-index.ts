import type { RecoveredEntry, RecoveredQueue, RecoveredState, StoreOp } from '../store.js';
import { OpKind, type OpReader } from './record-codec.js';
import { SEGMENT_HEADER_BYTES, segmentFileName } from './segment.js';

/**
 * The journal's in-memory index: the current state (queues, references, message ids, kv keys —
 * no bodies once open() has returned) and, for compaction, which records on disk are still
 * needed.
 *
 * Liveness. Every record counts "live units": one per op that is still current (the message op
 * of a stored body, the enqueue of a reference, its latest delivery-count, the queue-put that
 * created a queue and the one that set its current meta, the current kv-put) plus one per older
 * segment it pins. A record with no live units is dead; a segment with no live records can go.
 *
 * Pins (tombstones). Compaction drops dead ops, so a delete must outlive what it deleted: a
 * dequeue, queue-delete or kv-delete pins every older segment that still holds an op it cancels
 * (the reference's enqueue, the queue's puts, the key's puts, the body's message op), and stays
 * live until those segments are deleted or rewritten without them. Within one segment no pin is
 * needed: the segment's records go together. Ops that only supersede (a newer kv-put, a newer
 * delivery-count) need no pin because replay treats puts as "set". A body goes when its last
 * reference does; the journal writes that down (dequeue-drop, message-drop) and replay drops
 * bodies only there (see record-codec.ts). A seal pins the segments it cuts or hides.
 *
 * Records, bodies and references number in the millions, so they live in typed-array columns
 * addressed by integer handles (reused once freed) rather than as objects: the GC never walks
 * them, which keeps recovery fast and memory per message small.
 */

/** A record (the ops of the commits of one group commit) in a segment. */
export type RecId = number;

const NONE = -1;

/** A superseded put that is on disk in `seg` while `gen` >= seg.keptFromGen. */
interface StaleSeg {
  seg: SegmentEntry;
  gen: number;
}

/** A rewrite in progress: the pins it will release, and the generation it will install. */
export interface RewriteTicket {
  pins: Set<RecId>;
  gen: number;
}

export class SegmentEntry {
  /** Records in file order. */
  records: RecId[] = [];
  /** Later records whose deletes need this segment's dead ops gone before they can go. */
  pinners = new Set<RecId>();
  liveBytes = 0;
  liveRecords = 0;
  deleted = false;
  /** Fully written, synced and closed: compaction may touch it. */
  sealed: boolean;
  /** Set when recovery quarantined bytes in it: rewrite it to drop them. */
  forceCompact = false;
  /**
   * Ops that died while the segment had an older generation are gone from the file (the rewrite
   * that installed this generation dropped them); later ones may still be in it.
   */
  keptFromGen = 0;
  /** Its index in JournalIndex's segment slots. */
  slot = NONE;

  constructor(
    readonly no: number,
    readonly epoch: number,
    /** Rewrite generation, from the header; bumped when a rewrite starts. */
    public gen: number,
    /** Bytes in the file, or assigned to it including writes not yet made. */
    public size: number,
    sealed: boolean,
  ) {
    this.sealed = sealed;
  }

  get file(): string {
    return segmentFileName(this.no);
  }

  /** Fraction of the record bytes that are still needed. */
  liveFraction(): number {
    const body = this.size - SEGMENT_HEADER_BYTES;
    return body <= 0 ? 1 : this.liveBytes / body;
  }
}

interface Queue {
  /** Message id → reference handle. */
  refs: Map<string, number>;
  createRec: RecId;
  metaRec: RecId;
  stale: StaleSeg[] | null;
  meta: Uint8Array | null;
}

interface KvEntry {
  rec: RecId;
  opBytes: number;
  stale: StaleSeg[] | null;
  value: Uint8Array | null;
}

type Column = Int32Array | Float64Array;

/** Integer handles into typed-array columns: grows the columns, reuses released handles. */
class Handles {
  private readonly free: number[] = [];
  private used = 0;
  capacity = 1024;

  constructor(private readonly grow: (capacity: number) => void) {}

  alloc(): number {
    const h = this.free.pop();
    if (h !== undefined) return h;
    if (this.used === this.capacity) this.grow((this.capacity *= 2));
    return this.used++;
  }

  release(h: number): void {
    this.free.push(h);
  }
}

function grown<T extends Column>(a: T, capacity: number): T {
  const b = new (a.constructor as new (n: number) => T)(capacity);
  b.set(a);
  return b;
}

export class JournalIndex {
  /** Segments in number order. */
  readonly segments: SegmentEntry[] = [];
  /** Sum of segment sizes. */
  totalBytes = 0;
  /**
   * Bodies the last apply() dropped (their last reference went): the journal records these. The
   * first `droppedCount` entries count; the array is reused (emptying it would free its storage,
   * and the next drop allocate again, once per consumed message).
   */
  readonly dropped: string[] = [];
  droppedCount = 0;

  private readonly slots: (SegmentEntry | undefined)[] = [];
  private readonly queues = new Map<string, Queue>();
  private readonly messages = new Map<string, number>();
  private readonly kv = new Map<string, Map<string, KvEntry>>();
  /** The body stored last: its enqueues usually follow at once, which saves a lookup. */
  private lastMsgId = '';
  private lastMsg = NONE;

  // Records: segment slot, offset, bytes (0 while being built), live units, pinned segments,
  // bytes of payload ops (message, kv-put) no longer current.
  private recSeg = new Int32Array(1024);
  private recOff = new Float64Array(1024);
  private recBytes = new Float64Array(1024);
  private recLive = new Int32Array(1024);
  private recPins = new Int32Array(1024);
  private recDead = new Float64Array(1024);
  private readonly recs = new Handles((n) => {
    this.recSeg = grown(this.recSeg, n);
    this.recOff = grown(this.recOff, n);
    this.recBytes = grown(this.recBytes, n);
    this.recLive = grown(this.recLive, n);
    this.recPins = grown(this.recPins, n);
    this.recDead = grown(this.recDead, n);
  });

  // Bodies: the record of their message op, reference count, op size; data only while recovering.
  private msgRec = new Int32Array(1024);
  private msgRefs = new Int32Array(1024);
  private msgOpBytes = new Float64Array(1024);
  private msgData: (Uint8Array | undefined)[] = [];
  private readonly msgs = new Handles((n) => {
    this.msgRec = grown(this.msgRec, n);
    this.msgRefs = grown(this.msgRefs, n);
    this.msgOpBytes = grown(this.msgOpBytes, n);
  });

  // References: seq, delivery count, the records of their enqueue and latest delivery-count, body.
  private refSeq = new Float64Array(1024);
  private refCount = new Float64Array(1024);
  private refRec = new Int32Array(1024);
  private refCountRec = new Int32Array(1024);
  private refMsg = new Int32Array(1024);
  private readonly refs = new Handles((n) => {
    this.refSeq = grown(this.refSeq, n);
    this.refCount = grown(this.refCount, n);
    this.refRec = grown(this.refRec, n);
    this.refCountRec = grown(this.refCountRec, n);
    this.refMsg = grown(this.refMsg, n);
  });

  addSegment(seg: SegmentEntry): void {
    seg.slot = this.slots.length;
    this.slots.push(seg);
    this.segments.push(seg);
    this.totalBytes += seg.size;
  }

  newRecord(seg: SegmentEntry, off: number): RecId {
    const r = this.recs.alloc();
    this.recSeg[r] = seg.slot;
    this.recOff[r] = off;
    this.recBytes[r] = 0;
    this.recLive[r] = 0;
    this.recPins[r] = 0;
    this.recDead[r] = 0;
    seg.records.push(r);
    return r;
  }

  /** Drops the record just begun: none of its ops changed anything. */
  discardRecord(r: RecId): void {
    const seg = this.segOf(r);
    if (seg.records[seg.records.length - 1] === r) seg.records.pop();
    this.recs.release(r);
  }

  sealRecord(r: RecId, bytes: number): void {
    const seg = this.segOf(r);
    this.recBytes[r] = bytes;
    seg.size += bytes;
    this.totalBytes += bytes;
    if (this.recLive[r]! > 0) seg.liveBytes += bytes - this.recDead[r]!;
  }

  recordOffset(r: RecId): number {
    return this.recOff[r]!;
  }

  recordBytes(r: RecId): number {
    return this.recBytes[r]!;
  }

  isRecordLive(r: RecId): boolean {
    return this.recLive[r]! > 0;
  }

  /**
   * Applies a committed op with the memory store's semantics; false if it changed nothing.
   * `dropped` (its first `droppedCount` entries) then lists the bodies it dropped.
   */
  apply(op: StoreOp, rec: RecId, opBytes: number): boolean {
    this.droppedCount = 0;
    switch (op.kind) {
      case 'message': return this.putMessage(rec, op.id, opBytes, undefined, false);
      case 'enqueue': return this.enqueue(rec, op.queue, op.id, op.seq, false);
      case 'dequeue': return this.dequeue(rec, op.queue, op.id, true);
      case 'delivery-count': return this.setCount(rec, op.queue, op.id, op.count);
      case 'queue-put': return this.putQueue(rec, op.queue, null);
      case 'queue-delete': return this.deleteQueue(rec, op.queue, true);
      case 'kv-put': return this.putKv(rec, op.space, op.key, opBytes, null);
      case 'kv-delete': return this.deleteKv(rec, op.space, op.key);
      default: {
        const never: never = op;
        throw new Error(`unknown store op ${(never as { kind: string }).kind}`);
      }
    }
  }

  /**
   * Replays the ops of a record read from disk, keeping bodies, meta and values for open() as
   * views of the reader's buffer (recovery reads into fresh buffers, it does not reuse them).
   */
  replayRecord(rec: RecId, r: OpReader): void {
    while (r.next()) {
      const opBytes = r.opEnd - r.opStart;
      switch (r.kind) {
        case OpKind.message: this.putMessage(rec, r.id, opBytes, r.buf.subarray(r.valueStart, r.valueEnd), true); break;
        case OpKind.enqueue: this.enqueue(rec, r.name, r.id, r.num, true); break;
        case OpKind.dequeue: this.dequeue(rec, r.name, r.id, false); break;
        case OpKind['dequeue-drop']:
          this.dequeue(rec, r.name, r.id, false);
          this.dropIfUnreferenced(rec, r.id);
          break;
        case OpKind['message-drop']: this.dropIfUnreferenced(rec, r.id); break;
        case OpKind['delivery-count']: this.setCount(rec, r.name, r.id, r.num); break;
        case OpKind['queue-put']: this.putQueue(rec, r.name, r.buf.subarray(r.valueStart, r.valueEnd)); break;
        case OpKind['queue-delete']: this.deleteQueue(rec, r.name, false); break;
        case OpKind['kv-put']: this.putKv(rec, r.name, r.id, opBytes, r.buf.subarray(r.valueStart, r.valueEnd)); break;
        case OpKind['kv-delete']: this.deleteKv(rec, r.name, r.id); break;
        case OpKind.seal: this.seal(rec, r.num, r.segmentNo); break;
      }
    }
  }

  /**
   * Records a seal (record-codec.ts): it must stay while a segment it cuts or hides is on disk as
   * it was, so it pins them (segments of older epochs from `segmentNo` on).
   */
  seal(rec: RecId, epoch: number, segmentNo: number): void {
    for (const seg of this.segments) if (seg.epoch < epoch && seg.no >= segmentNo) this.pin(rec, seg);
  }

  /** Whether compaction must copy the current op of `r`, read from record `rec`. */
  isOpLive(r: OpReader, rec: RecId): boolean {
    switch (r.kind) {
      case OpKind.message: return this.msgRec[this.messages.get(r.id) ?? NONE] === rec;
      case OpKind.enqueue: return this.refRec[this.queues.get(r.name)?.refs.get(r.id) ?? NONE] === rec;
      case OpKind['delivery-count']: return this.refCountRec[this.queues.get(r.name)?.refs.get(r.id) ?? NONE] === rec;
      case OpKind['queue-put']: {
        const q = this.queues.get(r.name);
        return q !== undefined && (q.createRec === rec || q.metaRec === rec);
      }
      case OpKind['kv-put']: return this.kv.get(r.name)?.get(r.id)?.rec === rec;
      default: return this.recPins[rec]! > 0; // a delete, kept while it pins older segments
    }
  }

  /** Ends recovery: returns the recovered state and forgets bodies, meta and values (the core holds them from here on). */
  finishRecovery(): RecoveredState {
    const queues = new Map<string, RecoveredQueue>();
    for (const [name, q] of this.queues) {
      const entries: RecoveredEntry[] = [];
      let sorted = true;
      let last = -1;
      for (const [id, ref] of q.refs) {
        const seq = this.refSeq[ref]!;
        if (seq < last) sorted = false;
        last = seq;
        entries.push({ id, seq, deliveryCount: this.refCount[ref]!, data: this.msgData[this.refMsg[ref]!]! });
      }
      if (!sorted) entries.sort((a, b) => a.seq - b.seq);
      queues.set(name, { meta: q.meta!, entries });
      q.meta = null;
    }
    const kv = new Map<string, Map<string, Uint8Array>>();
    for (const [space, entries] of this.kv) {
      const values = new Map<string, Uint8Array>();
      for (const [key, e] of entries) {
        values.set(key, e.value!);
        e.value = null;
      }
      kv.set(space, values);
    }
    this.msgData = [];
    return { queues, kv };
  }

  /** Forgets a segment whose records are all dead, once its file is gone for good. */
  dropSegment(seg: SegmentEntry): void {
    const i = this.segments.indexOf(seg);
    if (i >= 0) this.segments.splice(i, 1);
    this.slots[seg.slot] = undefined;
    this.totalBytes -= seg.size;
    seg.deleted = true;
    seg.keptFromGen = Number.POSITIVE_INFINITY;
    for (const r of seg.records) this.recs.release(r);
    seg.records = [];
    this.releasePins(seg.pinners);
    seg.pinners = new Set();
  }

  /**
   * Starts rewriting a segment. Ops dying from now on may be copied into the new file (its
   * reading is still under way): pins and stale marks made from now on must survive the rewrite,
   * those made before go with it.
   */
  beginRewrite(seg: SegmentEntry): RewriteTicket {
    const pins = seg.pinners;
    seg.pinners = new Set();
    return { pins, gen: ++seg.gen };
  }

  /** Undoes beginRewrite() for a rewrite that did not happen: the old file is still there. */
  abandonRewrite(seg: SegmentEntry, { pins }: RewriteTicket): void {
    for (const r of seg.pinners) {
      if (pins.has(r)) {
        this.recPins[r]!--;
        this.kill(r); // pinned twice: once before, once during the attempt
      } else {
        pins.add(r);
      }
    }
    seg.pinners = pins;
  }

  /**
   * Installs a rewritten segment once its file is durable: `kept` records (in file order) moved
   * to `offsets`/`sizes`, the rest are gone, and with them the dead ops the old pins guarded.
   */
  rewroteSegment(seg: SegmentEntry, kept: RecId[], offsets: number[], sizes: number[], newSize: number, ticket: RewriteTicket): void {
    const keptSet = new Set(kept);
    for (const r of seg.records) if (!keptSet.has(r)) this.recs.release(r);
    this.totalBytes += newSize - seg.size;
    seg.size = newSize;
    seg.keptFromGen = ticket.gen;
    seg.records = kept;
    seg.liveBytes = 0;
    seg.liveRecords = 0;
    for (let i = 0; i < kept.length; i++) {
      const r = kept[i]!;
      this.recOff[r] = offsets[i]!;
      this.recBytes[r] = sizes[i]!;
      this.recDead[r] = 0;
      if (this.recLive[r]! > 0) {
        seg.liveRecords++;
        seg.liveBytes += sizes[i]!;
      }
    }
    seg.forceCompact = false;
    this.releasePins(ticket.pins);
  }

  // --- ops ----------------------------------------------------------------------------------

  private putMessage(rec: RecId, id: string, opBytes: number, data: Uint8Array | undefined, replay: boolean): boolean {
    let m = this.messages.get(id);
    if (m === undefined) {
      m = this.msgs.alloc();
      this.msgRefs[m] = 0;
      this.messages.set(id, m);
      this.lastMsgId = id;
      this.lastMsg = m;
    } else {
      if (!replay) return false;
      this.killPayload(this.msgRec[m]!, this.msgOpBytes[m]!);
      this.kill(this.msgRec[m]!);
    }
    this.msgRec[m] = rec;
    this.msgOpBytes[m] = opBytes;
    if (data) this.msgData[m] = data;
    this.addLive(rec);
    return true;
  }

  private enqueue(rec: RecId, queue: string, id: string, seq: number, replay: boolean): boolean {
    const q = this.queues.get(queue);
    const m = id === this.lastMsgId ? this.lastMsg : (this.messages.get(id) ?? NONE);
    if (!q || m === NONE) return false;
    let ref = q.refs.get(id);
    if (ref === undefined) {
      ref = this.refs.alloc();
      q.refs.set(id, ref);
      this.refMsg[ref] = m;
      this.msgRefs[m]!++;
    } else {
      if (!replay) return false;
      this.kill(this.refRec[ref]!);
      if (this.refCountRec[ref] !== NONE) this.kill(this.refCountRec[ref]!);
    }
    this.refRec[ref] = rec;
    this.refSeq[ref] = seq;
    this.refCount[ref] = 0;
    this.refCountRec[ref] = NONE;
    this.addLive(rec);
    return true;
  }

  private dequeue(rec: RecId, queue: string, id: string, dropBodies: boolean): boolean {
    const q = this.queues.get(queue);
    const ref = q?.refs.get(id);
    if (ref === undefined) return false;
    q!.refs.delete(id);
    this.dropRef(rec, id, ref, dropBodies);
    return true;
  }

  private setCount(rec: RecId, queue: string, id: string, count: number): boolean {
    const ref = this.queues.get(queue)?.refs.get(id);
    if (ref === undefined) return false;
    if (this.refCountRec[ref] !== NONE) this.kill(this.refCountRec[ref]!);
    this.refCountRec[ref] = rec;
    this.refCount[ref] = count;
    this.addLive(rec);
    return true;
  }

  private putQueue(rec: RecId, queue: string, meta: Uint8Array | null): boolean {
    const q = this.queues.get(queue);
    if (!q) {
      this.queues.set(queue, { refs: new Map(), createRec: rec, metaRec: rec, stale: null, meta });
      this.addLive(rec); // as creator
    } else {
      this.kill(q.metaRec);
      if (q.metaRec !== q.createRec) q.stale = addStale(q.stale, this.segOf(q.metaRec));
      q.metaRec = rec;
      q.meta = meta;
    }
    this.addLive(rec); // as the current meta
    return true;
  }

  private deleteQueue(rec: RecId, queue: string, dropBodies: boolean): boolean {
    const q = this.queues.get(queue);
    if (!q) return false;
    this.queues.delete(queue);
    for (const [id, ref] of q.refs) this.dropRef(rec, id, ref, dropBodies);
    this.kill(q.createRec);
    this.pin(rec, this.segOf(q.createRec));
    this.kill(q.metaRec);
    this.pin(rec, this.segOf(q.metaRec));
    this.pinStale(rec, q.stale);
    return true;
  }

  private putKv(rec: RecId, space: string, key: string, opBytes: number, value: Uint8Array | null): boolean {
    let entries = this.kv.get(space);
    if (!entries) this.kv.set(space, (entries = new Map()));
    const e = entries.get(key);
    if (!e) {
      entries.set(key, { rec, opBytes, stale: null, value });
    } else {
      this.killPayload(e.rec, e.opBytes);
      this.kill(e.rec);
      e.stale = addStale(e.stale, this.segOf(e.rec));
      e.rec = rec;
      e.opBytes = opBytes;
      e.value = value;
    }
    this.addLive(rec);
    return true;
  }

  private deleteKv(rec: RecId, space: string, key: string): boolean {
    const entries = this.kv.get(space);
    const e = entries?.get(key);
    if (!e) return false;
    entries!.delete(key);
    if (entries!.size === 0) this.kv.delete(space);
    this.killPayload(e.rec, e.opBytes);
    this.kill(e.rec);
    this.pin(rec, this.segOf(e.rec));
    this.pinStale(rec, e.stale);
    return true;
  }

  /** A reference removed by `rec`: its enqueue is dead, and (live, not replaying) its body if it was the last. */
  private dropRef(rec: RecId, id: string, ref: number, dropBodies: boolean): void {
    const enq = this.refRec[ref]!;
    this.kill(enq);
    this.pin(rec, this.segOf(enq));
    if (this.refCountRec[ref] !== NONE) this.kill(this.refCountRec[ref]!);
    const m = this.refMsg[ref]!;
    this.refs.release(ref);
    if (--this.msgRefs[m]! <= 0 && dropBodies) {
      this.dropMessage(rec, id, m);
      this.dropped[this.droppedCount++] = id;
    }
  }

  private dropIfUnreferenced(rec: RecId, id: string): void {
    const m = this.messages.get(id);
    if (m !== undefined && this.msgRefs[m]! <= 0) this.dropMessage(rec, id, m);
  }

  private dropMessage(rec: RecId, id: string, m: number): void {
    this.messages.delete(id);
    if (m === this.lastMsg) this.lastMsg = NONE;
    const op = this.msgRec[m]!;
    this.killPayload(op, this.msgOpBytes[m]!);
    this.kill(op);
    this.pin(rec, this.segOf(op));
    this.msgData[m] = undefined;
    this.msgs.release(m);
  }

  // --- liveness -----------------------------------------------------------------------------

  private segOf(r: RecId): SegmentEntry {
    return this.slots[this.recSeg[r]!]!;
  }

  private addLive(r: RecId): void {
    if (this.recLive[r]!++ === 0) {
      const seg = this.segOf(r);
      seg.liveRecords++;
      if (this.recBytes[r]! > 0) seg.liveBytes += this.recBytes[r]! - this.recDead[r]!; // counted at seal otherwise
    }
  }

  private kill(r: RecId): void {
    if (--this.recLive[r]! === 0) {
      const seg = this.segOf(r);
      seg.liveRecords--;
      if (this.recBytes[r]! > 0) seg.liveBytes -= this.recBytes[r]! - this.recDead[r]!;
    }
  }

  /** Call before kill() for the same op: the op's bytes no longer count as live. */
  private killPayload(r: RecId, opBytes: number): void {
    this.recDead[r]! += opBytes;
    if (this.recBytes[r]! > 0 && this.recLive[r]! > 0) this.segOf(r).liveBytes -= opBytes;
  }

  private pin(killer: RecId, seg: SegmentEntry): void {
    if (seg.slot === this.recSeg[killer] || seg.deleted || seg.pinners.has(killer)) return;
    seg.pinners.add(killer);
    this.recPins[killer]!++;
    this.addLive(killer);
  }

  private pinStale(killer: RecId, stale: StaleSeg[] | null): void {
    if (!stale) return;
    for (const s of stale) if (s.gen >= s.seg.keptFromGen) this.pin(killer, s.seg);
  }

  private releasePins(pins: Set<RecId>): void {
    for (const r of pins) {
      this.recPins[r]!--;
      this.kill(r);
    }
  }
}

function addStale(list: StaleSeg[] | null, seg: SegmentEntry): StaleSeg[] {
  if (!list) return [{ seg, gen: seg.gen }];
  const last = list[list.length - 1]!;
  if (last.seg === seg && last.gen === seg.gen) return list;
  const current = list.length >= 8 ? list.filter((s) => s.gen >= s.seg.keptFromGen) : list;
  current.push({ seg, gen: seg.gen });
  return current;
}
