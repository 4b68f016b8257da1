import type { DrillDelivery, DrillMessage } from './drill-protocol.js';

export interface MessageCounts {
  /** Messages handed to a connected producer. */
  sent: number;
  /** Sends the broker acknowledged (RECEIPT, PUBACK, disposition, ...): it promised not to lose them. */
  acknowledged: number;
  /** Sent but never acknowledged (the connection was lost first): the broker promised nothing. */
  inDoubt: number;
  /** In-doubt messages that were delivered anyway. */
  inDoubtReceived: number;
  /** Distinct messages delivered. */
  received: number;
  /** Every delivery, duplicates included. */
  deliveries: number;
  /** Deliveries of a message that had been delivered before (at-least-once). */
  duplicated: number;
  /** Acknowledged but never delivered. */
  lost: number;
  /** First deliveries, not flagged redelivered, of a sequence number lower than one the same consumer already had from the same producer. */
  outOfOrder: number;
}

const key = (m: DrillMessage): string => `${m.producer}#${m.seq}`;

/** What was sent, acknowledged and delivered in one drill, and what that adds up to. */
export class Ledger {
  private readonly sent = new Set<string>();
  private readonly acknowledged = new Set<string>();
  private readonly received = new Set<string>();
  private readonly highestSeq = new Map<string, number>();
  /** Messages both acknowledged and received, kept as a count so missingCount() stays cheap while draining. */
  private acknowledgedReceived = 0;
  private deliveries = 0;
  private duplicated = 0;
  private outOfOrder = 0;

  recordSent(m: DrillMessage): void {
    this.sent.add(key(m));
  }

  recordAcknowledged(m: DrillMessage): void {
    const k = key(m);
    if (this.acknowledged.has(k)) return;
    this.acknowledged.add(k);
    if (this.received.has(k)) this.acknowledgedReceived++;
  }

  recordDelivery(consumer: string, d: DrillDelivery): void {
    this.deliveries++;
    const k = key(d);
    if (this.received.has(k)) {
      this.duplicated++;
      return;
    }
    this.received.add(k);
    if (this.acknowledged.has(k)) this.acknowledgedReceived++;
    const stream = `${consumer}|${d.producer}`;
    const highest = this.highestSeq.get(stream) ?? -1;
    if (d.seq < highest && !d.redelivered) this.outOfOrder++;
    this.highestSeq.set(stream, Math.max(highest, d.seq));
  }

  missingCount(): number {
    return this.acknowledged.size - this.acknowledgedReceived;
  }

  /** Acknowledged messages not delivered yet. */
  missing(): string[] {
    return [...this.acknowledged].filter((k) => !this.received.has(k));
  }

  counts(): MessageCounts {
    let inDoubt = 0;
    let inDoubtReceived = 0;
    for (const k of this.sent) {
      if (this.acknowledged.has(k)) continue;
      inDoubt++;
      if (this.received.has(k)) inDoubtReceived++;
    }
    return {
      sent: this.sent.size,
      acknowledged: this.acknowledged.size,
      inDoubt,
      inDoubtReceived,
      received: this.received.size,
      deliveries: this.deliveries,
      duplicated: this.duplicated,
      lost: this.missingCount(),
      outOfOrder: this.outOfOrder,
    };
  }
}
