import type { QueueEntry } from './queue-entry.js';

const PRIORITIES = 10;

/**
 * Messages waiting for a consumer: one intrusive doubly-linked list per priority (0–9), each in
 * seq order, so that append, removal from the middle (selectors, groups, expiry) and the
 * re-insertion of a redelivered message at its old place are all cheap.
 */
export class PendingList {
  private readonly heads: (QueueEntry | null)[] = new Array(PRIORITIES).fill(null);
  private readonly tails: (QueueEntry | null)[] = new Array(PRIORITIES).fill(null);
  size = 0;

  private static bucket(e: QueueEntry): number {
    const p = e.priority;
    return p < 0 ? 0 : p >= PRIORITIES ? PRIORITIES - 1 : p | 0;
  }

  /** Appends a new entry (its seq is the highest so far). */
  push(e: QueueEntry): void {
    const b = PendingList.bucket(e);
    const tail = this.tails[b]!;
    e.prev = tail;
    e.next = null;
    if (tail) tail.next = e;
    else this.heads[b] = e;
    this.tails[b] = e;
    e.pending = true;
    this.size++;
  }

  /** Puts an entry back at its seq position (redelivery keeps the original order). */
  insertInOrder(e: QueueEntry): void {
    const b = PendingList.bucket(e);
    let after = this.tails[b] ?? null;
    while (after && after.seq > e.seq) after = after.prev;
    e.prev = after;
    e.next = after ? after.next : this.heads[b]!;
    if (e.next) e.next.prev = e;
    else this.tails[b] = e;
    if (after) after.next = e;
    else this.heads[b] = e;
    e.pending = true;
    this.size++;
  }

  remove(e: QueueEntry): void {
    if (!e.pending) return;
    const b = PendingList.bucket(e);
    if (e.prev) e.prev.next = e.next;
    else this.heads[b] = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.tails[b] = e.prev;
    e.prev = e.next = null;
    e.pending = false;
    this.size--;
  }

  /** Highest priority first, then oldest first. Safe against removal of the visited entry. */
  *entries(): Generator<QueueEntry> {
    for (let b = PRIORITIES - 1; b >= 0; b--) {
      let e = this.heads[b] ?? null;
      while (e) {
        const next: QueueEntry | null = e.next;
        yield e;
        e = next;
      }
    }
  }

  first(): QueueEntry | null {
    return this.firstFrom(PRIORITIES - 1);
  }

  /**
   * The oldest entry of the next lower non-empty priority than `e`'s: with `e.next` it walks the
   * list in the order of entries(), without a generator (dispatch runs this per message).
   */
  firstBelow(e: QueueEntry): QueueEntry | null {
    return this.firstFrom(PendingList.bucket(e) - 1);
  }

  private firstFrom(bucket: number): QueueEntry | null {
    for (let b = bucket; b >= 0; b--) if (this.heads[b]) return this.heads[b]!;
    return null;
  }
}
