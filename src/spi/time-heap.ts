/**
 * A binary min-heap of values by time (ms): what the core's delivery scheduler and the MQTT
 * adapter's deadlines keep, so that many deadlines cost one timer, not one each.
 */
export class TimeHeap<T> {
  private heap: Array<{ at: number; value: T }> = [];

  get size(): number {
    return this.heap.length;
  }

  /** The earliest time held, if any. */
  get nextAt(): number | undefined {
    return this.heap[0]?.at;
  }

  push(at: number, value: T): void {
    this.heap.push({ at, value });
    this.up(this.heap.length - 1);
  }

  /** Removes and returns the earliest entry whose time is at or before `now`. */
  popDue(now: number): { at: number; value: T } | undefined {
    const top = this.heap[0];
    if (!top || top.at > now) return undefined;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  /** Replaces the contents (e.g. to drop entries that no longer count). */
  reset(entries: Array<{ at: number; value: T }>): void {
    this.heap = entries;
    for (let i = (entries.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= h[i]!.at) return;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l]!.at < h[m]!.at) m = l;
      if (r < h.length && h[r]!.at < h[m]!.at) m = r;
      if (m === i) return;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
  }
}
