/**
 * Absolute deadlines by key (will delays, session expiries), kept in one binary min-heap and
 * polled by the adapter's single shared timer: no timer per connection or session. Rescheduling
 * or cancelling a key leaves its old heap entry behind; it is skipped when it surfaces.
 */
export class Deadlines {
  private readonly at = new Map<string, number>();
  private heap: Array<{ at: number; key: string }> = [];

  schedule(key: string, at: number): void {
    this.at.set(key, at);
    this.heap.push({ at, key });
    this.up(this.heap.length - 1);
  }

  cancel(key: string): void {
    this.at.delete(key);
  }

  has(key: string): boolean {
    return this.at.has(key);
  }

  /** Removes and returns the keys whose deadline is at or before `now`, earliest first. */
  takeDue(now: number): string[] {
    const due: string[] = [];
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const top = this.pop();
      if (this.at.get(top.key) !== top.at) continue; // cancelled or rescheduled
      this.at.delete(top.key);
      due.push(top.key);
    }
    if (this.heap.length > 4 * this.at.size + 64) this.rebuild();
    return due;
  }

  private rebuild(): void {
    this.heap = [...this.at].map(([key, at]) => ({ at, key }));
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private pop(): { at: number; key: string } {
    const top = this.heap[0]!;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
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
