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
  /** The members' queues in the order they joined, for dispatch in turn. */
  private readonly queues: Queue[] = [];
  /** Where the next dispatch() starts, so that no queue always comes first. */
  private turn = 0;
  /** Credit granted and not yet used, for all members together. */
  credit: number;
  /** Unsettled deliveries of all members (taken-back ones included): what fills the window. */
  held = 0;
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
      case 'window': return flow.size + this.credit - this.held;
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

  add(q: Queue, member: Consumer): void {
    this.members.set(q, member);
    this.queues.push(q);
  }

  /** Lets the members' queues hand out what the group may now take, starting one further each time. */
  dispatch(): void {
    const n = this.queues.length;
    for (let i = 0; i < n && this.capacity() > 0; i++) this.queues[(this.turn + i) % n]!.dispatch();
    if (n > 0) this.turn = (this.turn + 1) % n;
  }
}
