import type { ConsumerId, Delivery, DeliveryId, DeliverySink, SubscribeOptions } from '../spi/core.js';
import type { Address } from '../spi/message.js';
import type { ConsumerGroup } from './consumer-group.js';
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

/** Past this many, the oldest delivery taken back and still unsettled is forgotten (its settlement is then unknown). */
const MAX_REVOKED = 65_536;

/** One consumer on one queue: its flow-control state and its unsettled deliveries. */
export class Consumer {
  /** The entries of unsettled deliveries in delivery order (ids ascend), for cumulative settlement. */
  readonly inflight = new Map<DeliveryId, QueueEntry>();
  /** On a queue with a visibility timeout: when each unsettled delivery is taken back, in delivery order. */
  private deadlines: Map<DeliveryId, number> | undefined;
  /**
   * Deliveries taken back by the visibility timeout that the client has not settled: it still holds
   * them, so they count against its window, and their late settlement changes nothing.
   */
  private revoked: Set<DeliveryId> | undefined;
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
    /** The queue's visibility timeout applies (SubscribeOptions.revocable). */
    readonly revocable = true,
    /** Set for a member of a wildcard consumer: the flow (credit, window) is the group's. */
    readonly group?: ConsumerGroup,
  ) {
    this.credit = flow.kind === 'credit' && !group ? flow.initial : 0;
  }

  /** How many more deliveries this consumer may take now. */
  capacity(): number {
    if (this.closed || !this.owner.writable) return 0;
    if (this.group) return this.group.capacity();
    switch (this.flow.kind) {
      case 'unbounded': return Number.POSITIVE_INFINITY;
      case 'credit': return this.credit;
      case 'window': return this.flow.size + this.credit - this.unsettled;
    }
  }

  /** Unsettled deliveries the client holds, those the visibility timeout took back included. */
  get unsettled(): number {
    return this.inflight.size + (this.revoked?.size ?? 0);
  }

  /** Whether delivery `id` is this consumer's and not settled yet (taken back or not). */
  holds(id: DeliveryId): boolean {
    return this.inflight.has(id) || this.revoked?.has(id) === true;
  }

  addCredit(n: number): void {
    this.credit += n;
  }

  /** Lets its queue hand out what it may now take. */
  dispatch(): void {
    this.queue.dispatch();
  }

  drain(): number {
    const unused = this.flow.kind === 'credit' ? this.credit : 0;
    if (this.flow.kind === 'credit') this.credit = 0;
    return unused;
  }

  accepts(entry: QueueEntry): boolean {
    return !this.selector || this.selector({ message: entry.message, deliveryCount: entry.deliveryCount + 1 });
  }

  /** Hands an entry over; returns the delivery. `visibleAgainAt`: when to take it back if still unsettled. */
  take(entry: QueueEntry, visibleAgainAt?: number): Delivery {
    const delivery: Delivery = {
      id: this.owner.nextDeliveryId(),
      consumerId: this.id,
      message: entry.message,
      deliveryCount: entry.deliveryCount + 1,
      redelivered: entry.redelivered,
      subscription: this.subscription,
    };
    entry.redelivered = true;
    if (this.flow.kind === 'credit') {
      if (this.group) this.group.credit--;
      else this.credit--;
    }
    if (!this.autoSettle) {
      this.inflight.set(delivery.id, entry);
      if (this.group) this.group.held++;
      if (visibleAgainAt !== undefined) (this.deadlines ??= new Map()).set(delivery.id, visibleAgainAt);
    }
    return delivery;
  }

  /**
   * Removes and returns the entries a settlement names: one, or all up to it when cumulative;
   * none if it names only deliveries taken back meanwhile; undefined if it names no delivery.
   */
  release(id: DeliveryId, cumulative: boolean): QueueEntry[] | undefined {
    // Every acknowledgement comes here: only a wildcard consumer's member keeps a count up to date.
    if (!this.group) return this.drop(id, cumulative);
    const before = this.unsettled;
    const out = this.drop(id, cumulative);
    this.unsettledChanged(before);
    return out;
  }

  /** Removes and returns every unsettled entry delivered up to `id` (and forgets those taken back). */
  releaseThrough(id: DeliveryId): QueueEntry[] {
    const before = this.unsettled;
    const out = this.dropThrough(id);
    this.unsettledChanged(before);
    return out;
  }

  /** Removes and returns every unsettled entry, and forgets those taken back (the consumer is closing). */
  releaseAll(): QueueEntry[] {
    const before = this.unsettled;
    const out = [...this.inflight.values()];
    this.inflight.clear();
    this.deadlines = undefined;
    this.revoked = undefined;
    this.unsettledChanged(before);
    return out;
  }

  /** A wildcard consumer's window counts what all its members hold. */
  private unsettledChanged(before: number): void {
    if (this.group) this.group.held += this.unsettled - before;
  }

  private drop(id: DeliveryId, cumulative: boolean): QueueEntry[] | undefined {
    const target = this.inflight.get(id);
    const takenBack = this.revoked?.delete(id) === true;
    if (!target && !takenBack) return undefined;
    if (!cumulative) {
      if (!target) return [];
      this.inflight.delete(id);
      this.deadlines?.delete(id);
      return [target];
    }
    return this.dropThrough(id);
  }

  private dropThrough(id: DeliveryId): QueueEntry[] {
    if (this.revoked) for (const k of this.revoked) if (k <= id) this.revoked.delete(k);
    const out: QueueEntry[] = [];
    for (const [k, v] of this.inflight) {
      if (k > id) break;
      out.push(v);
      this.inflight.delete(k);
      this.deadlines?.delete(k);
    }
    return out;
  }

  /** Takes back the unsettled deliveries whose visibility timeout has passed; returns their entries. */
  takeBackOverdue(now: number): QueueEntry[] {
    const out: QueueEntry[] = [];
    if (!this.deadlines) return out;
    const before = this.unsettled;
    for (const [id, at] of this.deadlines) {
      if (at > now) break;
      this.deadlines.delete(id);
      const entry = this.inflight.get(id);
      if (!entry) continue;
      this.inflight.delete(id);
      const revoked = (this.revoked ??= new Set());
      revoked.add(id);
      if (revoked.size > MAX_REVOKED) revoked.delete(revoked.values().next().value!);
      out.push(entry);
    }
    this.unsettledChanged(before);
    return out;
  }
}
