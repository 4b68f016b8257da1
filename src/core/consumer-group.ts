import type { ConsumerId, DeliveryId, SubscribeOptions } from '../spi/core.js';
import type { Address } from '../spi/message.js';
import type { Consumer, ConsumerOwner } from './consumer.js';
import type { Queue } from './queue.js';
import type { Selector } from './selector/index.js';

/**
 * A consumer of every queue a wildcard names (ActiveMQ: `orders.>` consumed as a queue), those
 * there now and those made later: one member Consumer per matching queue, all under one consumer
 * id and sharing one flow (credit, window), since the client sees one consumer.
 */
export class ConsumerGroup {
  readonly members = new Map<Queue, Consumer>();
  /** Credit granted and not yet used, for all members together. */
  credit: number;
  /** Set once Session.subscribe attached the members (the adapter has the consumer id by then). */
  attached = false;
  closed = false;

  constructor(
    readonly id: ConsumerId,
    readonly owner: ConsumerOwner,
    /** The wildcard address subscribed to. */
    readonly subscription: Address,
    readonly options: SubscribeOptions,
    readonly selector: Selector | undefined,
  ) {
    this.credit = options.flow.kind === 'credit' ? options.flow.initial : 0;
  }

  /** How many more deliveries the members may take together now. */
  capacity(): number {
    if (this.closed || !this.owner.writable) return 0;
    const flow = this.options.flow;
    switch (flow.kind) {
      case 'unbounded': return Number.POSITIVE_INFINITY;
      case 'credit': return this.credit;
      case 'window': {
        let held = 0;
        for (const m of this.members.values()) held += m.unsettled;
        return flow.size + this.credit - held;
      }
    }
  }

  addCredit(n: number): void {
    this.credit += n;
  }

  /** Takes back the unused credit; returns how much there was. */
  drain(): number {
    const unused = this.options.flow.kind === 'credit' ? this.credit : 0;
    this.credit = 0;
    return unused;
  }

  /** The member that handed out delivery `id` (still unsettled, or taken back), if any. */
  holder(id: DeliveryId): Consumer | undefined {
    for (const m of this.members.values()) if (m.holds(id)) return m;
    return undefined;
  }

  /** Lets every member's queue hand out what the group may now take. */
  dispatch(): void {
    for (const q of this.members.keys()) q.dispatch();
  }
}
