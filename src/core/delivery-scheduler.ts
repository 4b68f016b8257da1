import { BrokerError } from '../spi/errors.js';
import type { Properties } from '../spi/message.js';
import { TimeHeap } from '../spi/time-heap.js';
import type { QueueEntry } from './queue-entry.js';
import type { Queue } from './queue.js';

/** ActiveMQ's properties for scheduled delivery (its ScheduledMessage): milliseconds to wait after the send... */
export const SCHEDULED_DELAY_PROPERTY = 'AMQ_SCHEDULED_DELAY';
/** ...how many more times to deliver it, and how far apart. */
export const SCHEDULED_REPEAT_PROPERTY = 'AMQ_SCHEDULED_REPEAT';
export const SCHEDULED_PERIOD_PROPERTY = 'AMQ_SCHEDULED_PERIOD';
export const SCHEDULED_CRON_PROPERTY = 'AMQ_SCHEDULED_CRON';

/** A scheduling property as ActiveMQ reads it: a number, a long, or a numeric string (STOMP headers and MQTT user properties are text); NaN otherwise. */
function numeric(v: Properties[string] | undefined): number {
  return typeof v === 'number' ? v
    : typeof v === 'bigint' ? Number(v)
    : typeof v === 'string' && /^\s*-?\d{1,15}\s*$/.test(v) ? Number(v)
    : NaN;
}

/** A positive finite property value, else undefined. */
function positive(v: Properties[string] | undefined): number | undefined {
  const n = numeric(v);
  return n > 0 && Number.isFinite(n) ? n : undefined;
}

/**
 * The (first) delivery time a message asks for, or undefined: AMQ_SCHEDULED_DELAY after the send,
 * or without one, as ActiveMQ's scheduler does, AMQ_SCHEDULED_PERIOD after it.
 */
export function scheduledDeliveryTime(properties: Properties, now: number): number | undefined {
  const wait = positive(properties[SCHEDULED_DELAY_PROPERTY]) ?? positive(properties[SCHEDULED_PERIOD_PROPERTY]);
  return wait === undefined ? undefined : now + wait;
}

/**
 * The times of a message's repeated deliveries after its first (at `first`): AMQ_SCHEDULED_REPEAT
 * of them, AMQ_SCHEDULED_PERIOD apart; none unless it asks for a repeat and, as ActiveMQ wants, a
 * delay or a period. Throws INVALID_MESSAGE for what cannot be honoured: a cron schedule, a
 * negative (endless) repeat count or one above `max` (each repeat is a copy stored at the send).
 */
export function scheduledRepeatTimes(properties: Properties, first: number, max: number): number[] {
  if (properties[SCHEDULED_CRON_PROPERTY] !== undefined) {
    throw new BrokerError('INVALID_MESSAGE', `${SCHEDULED_CRON_PROPERTY} schedules are not supported (use ${SCHEDULED_DELAY_PROPERTY}, ${SCHEDULED_PERIOD_PROPERTY} and ${SCHEDULED_REPEAT_PROPERTY})`);
  }
  const repeat = numeric(properties[SCHEDULED_REPEAT_PROPERTY]);
  if (!Number.isFinite(repeat) || repeat === 0) return [];
  if (repeat < 0 || repeat > max || !Number.isInteger(repeat)) {
    throw new BrokerError('INVALID_MESSAGE', `${SCHEDULED_REPEAT_PROPERTY} must be 0–${max} (core.maxScheduledRepeats), got ${repeat}`);
  }
  if (scheduledDeliveryTime(properties, 0) === undefined) return [];
  const period = positive(properties[SCHEDULED_PERIOD_PROPERTY]) ?? 0;
  return Array.from({ length: repeat }, (_, k) => first + (k + 1) * period);
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
