import { TimeHeap } from '../../src/spi/index.js';

/**
 * Absolute deadlines by key (will delays, session expiries), kept in one min-heap and polled by
 * the adapter's single shared timer: no timer per connection or session. Rescheduling or
 * cancelling a key leaves its old heap entry behind; it is skipped when it surfaces.
 */
export class Deadlines {
  private readonly at = new Map<string, number>();
  private readonly heap = new TimeHeap<string>();

  schedule(key: string, at: number): void {
    this.at.set(key, at);
    this.heap.push(at, key);
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
    for (let top = this.heap.popDue(now); top; top = this.heap.popDue(now)) {
      if (this.at.get(top.value) !== top.at) continue; // cancelled or rescheduled
      this.at.delete(top.value);
      due.push(top.value);
    }
    if (this.heap.size > 4 * this.at.size + 64) this.heap.reset([...this.at].map(([value, at]) => ({ at, value })));
    return due;
  }
}
