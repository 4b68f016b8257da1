import type { Long } from './codec/long.js';

/**
 * ActiveMQ's producer audit: the highest sequence id routed per producer, so that a send the
 * failover transport replays after a reconnect (same producer id, same sequence) is answered
 * but not routed twice. Remembers the most recently active `capacity` producers.
 */
export class ProducerAudit {
  private readonly last = new Map<string, number>();

  constructor(private readonly capacity: number) {}

  /** True if this producer already sent this sequence id (or a later one); else records it. */
  isDuplicate(producer: string, sequence: Long): boolean {
    const seq = Number(sequence);
    const seen = this.last.get(producer);
    if (seen !== undefined && seq <= seen) return true;
    this.last.delete(producer);
    this.last.set(producer, seq);
    if (this.last.size > this.capacity) this.last.delete(this.last.keys().next().value!);
    return false;
  }
}
