import type { Address, CoreMessage } from '../spi/message.js';
import type { StoreOp } from '../store/store.js';

/** The property that names a message for duplicate detection (Artemis's name; SQS's MessageDeduplicationId). */
export const DUPLICATE_ID_PROPERTY = '_AMQ_DUPL_ID';
/** The store's keyed-state space for the ids of persistent messages. */
export const DUPLICATE_ID_SPACE = 'core.duplicate-ids';

/** A remembered id. */
export interface SeenId {
  readonly expiresAt: number;
  /** The first send's outcome: a duplicate is answered with it (the sender sets it). */
  done: Promise<void>;
  readonly persisted: boolean;
}

const RESOLVED = Promise.resolve();

export interface DuplicateDetectorOptions {
  /** How long an id is remembered; 0 turns detection off. */
  windowMs: number;
  /** At most this many ids are remembered (the oldest go first). */
  maxIds: number;
}

const SEP = '\u0000';

/**
 * Duplicate detection (SQS deduplication, Artemis's `_AMQ_DUPL_ID`): a message carrying an id
 * already sent to the same destination within the window is answered as its first copy was and
 * routed nowhere. The ids of persistent messages are written in the same store commit as the
 * message, so a producer's retry after a restart or a failover is caught too.
 */
export class DuplicateDetector {
  private readonly seen = new Map<string, SeenId>();

  constructor(private readonly o: DuplicateDetectorOptions) {}

  /** The ids that were journaled and are still inside the window. */
  load(entries: ReadonlyMap<string, Uint8Array>, now: number): void {
    for (const [key, value] of entries) {
      if (value.byteLength !== 8) continue;
      const expiresAt = Buffer.from(value.buffer, value.byteOffset, 8).readDoubleLE(0);
      if (expiresAt > now) this.seen.set(key, { expiresAt, done: RESOLVED, persisted: true });
    }
  }

  /** The detection key of a message that asks for it, or undefined. */
  keyOf(to: Address, m: CoreMessage): string | undefined {
    if (this.o.windowMs <= 0) return undefined;
    const id = m.properties[DUPLICATE_ID_PROPERTY];
    if (id === undefined || id === null) return undefined;
    const text = id instanceof Uint8Array ? Buffer.from(id).toString('base64') : String(id);
    return `${to.routing}${SEP}${to.name}${SEP}${text}`;
  }

  /** The first send's outcome if `key` was seen within the window, else undefined. */
  duplicateOf(key: string, now: number): Promise<void> | undefined {
    const s = this.seen.get(key);
    return s && s.expiresAt > now ? s.done : undefined;
  }

  /**
   * Remembers `key` from now. Adds to `ops` (the message's own commit) what journals it, for a
   * persistent message, and what forgets the ids that `maxIds` pushes out.
   */
  remember(key: string, now: number, persistent: boolean, ops: StoreOp[]): SeenId {
    const seen: SeenId = { expiresAt: now + this.o.windowMs, done: RESOLVED, persisted: persistent };
    this.seen.delete(key); // re-inserted: the Map's order stays the order of expiry
    this.seen.set(key, seen);
    if (persistent) {
      const value = Buffer.alloc(8);
      value.writeDoubleLE(seen.expiresAt, 0);
      ops.push({ kind: 'kv-put', space: DUPLICATE_ID_SPACE, key, value });
    }
    for (const [k, s] of this.seen) {
      if (this.seen.size <= this.o.maxIds) break;
      this.forget(k, s, ops);
    }
    return seen;
  }

  /** Forgets `key` if `seen` is still its record (the send failed: a retry must get through). */
  release(key: string, seen: SeenId): void {
    if (this.seen.get(key) === seen) this.seen.delete(key);
  }

  /** Forgets the ids whose window has passed; returns the ops that remove the journaled ones. */
  sweep(now: number): StoreOp[] {
    const ops: StoreOp[] = [];
    for (const [k, s] of this.seen) {
      if (s.expiresAt > now) break;
      this.forget(k, s, ops);
    }
    return ops;
  }

  private forget(key: string, s: SeenId, ops: StoreOp[]): void {
    this.seen.delete(key);
    if (s.persisted) ops.push({ kind: 'kv-delete', space: DUPLICATE_ID_SPACE, key });
  }
}
