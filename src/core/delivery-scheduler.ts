import type { Properties } from '../spi/message.js';
import { TimeHeap } from '../spi/time-heap.js';
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

/**
 * Entries held back until their delivery time, for every queue: one min-heap by time and one
 * timer for the earliest, so a million scheduled messages cost no million timers.
 */
export class DeliveryScheduler {
  private readonly heap = new TimeHeap<{ queue: Queue; entry: QueueEntry }>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  add(at: number, queue: Queue, entry: QueueEntry): void {
    this.heap.push(at, { queue, entry });
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
    for (let due = this.heap.popDue(now); due; due = this.heap.popDue(now)) due.value.queue.releaseScheduled(due.value.entry);
    this.arm();
  }

  private arm(): void {
    const next = this.heap.nextAt;
    if (next === undefined || next >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = next;
    // Timers take at most 2^31-1 ms; a later time is re-armed when this one fires.
    this.timer = setTimeout(() => this.fire(), Math.min(Math.max(0, next - Date.now()), 0x7fffffff));
    this.timer.unref();
  }
}
