import type { ConsumerId, Delivery, DeliveryId, DeliverySink, SubscribeOptions } from '../spi/core.js';
import type { Address } from '../spi/message.js';
import type { QueueEntry } from './queue-entry.js';
import type { Queue } from './queue.js';
import type { Selector } from './selector/index.js';

/** What a consumer needs of the session that owns it. */
export interface ConsumerOwner {
  readonly id: string;
  readonly sink: DeliverySink;
  readonly writable: boolean;
  nextDeliveryId(): DeliveryId;
}

/** One consumer on one queue: its flow-control state and its unsettled deliveries. */
export class Consumer {
  /** The entries of unsettled deliveries in delivery order (ids ascend), for cumulative settlement. */
  readonly inflight = new Map<DeliveryId, QueueEntry>();
  private credit: number;
  closed = false;

  constructor(
    readonly id: ConsumerId,
    readonly owner: ConsumerOwner,
    readonly queue: Queue,
    readonly subscription: Address,
    readonly flow: SubscribeOptions['flow'],
    readonly autoSettle: boolean,
    readonly selector: Selector | undefined,
    readonly priority = 0,
    readonly exclusive = false,
  ) {
    this.credit = flow.kind === 'credit' ? flow.initial : 0;
  }

  /** How many more deliveries this consumer may take now. */
  capacity(): number {
    if (this.closed || !this.owner.writable) return 0;
    switch (this.flow.kind) {
      case 'unbounded': return Number.POSITIVE_INFINITY;
      case 'credit': return this.credit;
      case 'window': return this.flow.size + this.credit - this.inflight.size;
    }
  }

  addCredit(n: number): void {
    this.credit += n;
  }

  drain(): number {
    const unused = this.flow.kind === 'credit' ? this.credit : 0;
    if (this.flow.kind === 'credit') this.credit = 0;
    return unused;
  }

  accepts(entry: QueueEntry): boolean {
    return !this.selector || this.selector({ message: entry.message, deliveryCount: entry.deliveryCount + 1 });
  }

  /** Hands an entry over; returns the delivery. */
  take(entry: QueueEntry): Delivery {
    const delivery: Delivery = {
      id: this.owner.nextDeliveryId(),
      consumerId: this.id,
      message: entry.message,
      deliveryCount: entry.deliveryCount + 1,
      redelivered: entry.redelivered,
      subscription: this.subscription,
    };
    entry.redelivered = true;
    if (this.flow.kind === 'credit') this.credit--;
    if (!this.autoSettle) this.inflight.set(delivery.id, entry);
    return delivery;
  }

  /** Removes and returns the entries a settlement names: one, or all up to it when cumulative. */
  release(id: DeliveryId, cumulative: boolean): QueueEntry[] {
    const target = this.inflight.get(id);
    if (!target) return [];
    if (!cumulative) {
      this.inflight.delete(id);
      return [target];
    }
    const out: QueueEntry[] = [];
    for (const [k, v] of this.inflight) {
      if (k > id) break;
      out.push(v);
      this.inflight.delete(k);
    }
    return out;
  }
}
