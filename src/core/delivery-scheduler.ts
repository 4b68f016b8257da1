import type { Properties } from '../spi/message.js';
import type { QueueEntry } from './queue-entry.js';
import type { Queue } from './queue.js';

/** ActiveMQ's property for scheduled delivery: milliseconds to wait after the send. */
export const SCHEDULED_DELAY_PROPERTY = 'AMQ_SCHEDULED_DELAY';

/**
 * The delivery time a message asks for with AMQ_SCHEDULED_DELAY, or undefined. As ActiveMQ reads
 * it: a number, a long, or a numeric string (STOMP headers and MQTT user properties are text).
 */
export function scheduledDeliveryTime(properties: Properties, now: number): number | undefined {
  const v = properties[SCHEDULED_DELAY_PROPERTY];
  if (v === undefined || v === null) return undefined;
  const delay = typeof v === 'number' ? v
    : typeof v === 'bigint' ? Number(v)
    : typeof v === 'string' && /^\s*\d{1,15}\s*$/.test(v) ? Number(v)
    : NaN;
  return delay > 0 && Number.isFinite(delay) ? now + delay : undefined;
}

interface Scheduled {
  at: number;
  queue: Queue;
  entry: QueueEntry;
}

/**
 * Entries held back until their delivery time, for every queue: one binary min-heap by time and
 * one timer for the earliest, so a million scheduled messages cost no million timers.
 */
export class DeliveryScheduler {
  private readonly heap: Scheduled[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  get size(): number {
    return this.heap.length;
  }

  add(at: number, queue: Queue, entry: QueueEntry): void {
    this.heap.push({ at, queue, entry });
    this.up(this.heap.length - 1);
    this.arm();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Date.now();
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const { queue, entry } = this.pop();
      queue.releaseScheduled(entry);
    }
    this.arm();
  }

  private arm(): void {
    const next = this.heap[0];
    if (!next || next.at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = next.at;
    // Timers take at most 2^31-1 ms; a later time is re-armed when this one fires.
    this.timer = setTimeout(() => this.fire(), Math.min(Math.max(0, next.at - Date.now()), 0x7fffffff));
    this.timer.unref();
  }

  private pop(): Scheduled {
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
      if (h[parent]!.at <= h[i]!.at) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < h.length && h[l]!.at < h[min]!.at) min = l;
      if (r < h.length && h[r]!.at < h[min]!.at) min = r;
      if (min === i) return;
      [h[min], h[i]] = [h[i]!, h[min]!];
      i = min;
    }
  }
}
