import type { Logger } from 'pino';
import type { Address } from '../spi/message.js';
import type { Consumer } from './consumer.js';
import { PendingList } from './pending-list.js';
import { isExpired, type QueueEntry } from './queue-entry.js';
import { RESOLVED } from './resolved.js';
import type { Subscription } from './subscription.js';

/** Why an entry leaves a queue without being consumed. */
export type RemovalCause = 'expired' | 'rejected' | 'max-redeliveries';

/** The settings of the core's destination policies a queue applies itself. */
export interface QueuePolicy {
  readonly maxRedeliveries: number;
  readonly retentionMs: number;
  readonly visibilityTimeoutMs: number;
}

/** What a queue asks of the core around it. */
export interface QueueHost {
  /** The settings that apply to this queue (per-destination policies over the broker's defaults). */
  policyOf(queue: Queue): QueuePolicy;
  /** False once this process may no longer serve (HA fencing): nothing is dispatched then. */
  mayServe(): boolean;
  readonly logger: Logger;
  /** The entry is gone for good (consumed or deleted): persist the dequeue, release memory. */
  dequeued(queue: Queue, entry: QueueEntry): Promise<void>;
  /** The entry failed for good: dead-letter it (or drop it) and dequeue it here. */
  deadLetter(queue: Queue, entry: QueueEntry, cause: RemovalCause): Promise<void>;
  /** A failed attempt was counted: persist the new count of a durable entry. */
  deliveryCounted(queue: Queue, entry: QueueEntry): void;
  /** Hold `entry` back until `at`, then hand it to releaseScheduled(). */
  schedule(queue: Queue, entry: QueueEntry, at: number): void;
  /** The queue has deliveries with a visibility timeout: call takeBackOverdue() until it has none. */
  watchVisibility(queue: Queue): void;
}

export type QueueKind = 'queue' | 'durable-subscription' | 'subscription';

/** How far one dispatch pass looks past messages no consumer can take (selectors, groups). */
const MAX_SCAN = 2000;

/**
 * A queue of messages and its competing consumers. Also the buffer of each topic subscription
 * (durable or not): topics fan out into subscription queues, so dispatch lives here only.
 */
export class Queue {
  readonly pending = new PendingList();
  readonly consumers: Consumer[] = [];
  /** Message group → the consumer it sticks to (JMSXGroupID, as ActiveMQ does). */
  private readonly groups = new Map<string, Consumer>();
  private roundRobin = 0;
  /** The exclusive consumer that alone gets messages, if any is attached. */
  private exclusiveOwner: Consumer | undefined;
  /** Its destination policy, looked up on first use (policies do not change while running). */
  private policy: QueuePolicy | undefined;
  /** Consumers of more than one priority are attached (pick() then goes level by level). */
  private mixedPriorities = false;
  private dispatching = false;
  private dispatchAgain = false;
  /** Consumers created but not yet attached (see Session.subscribe): they count as present. */
  attaching = 0;
  inflightCount = 0;
  /** Entries waiting for their delivery time (in the core's scheduler). */
  scheduledCount = 0;
  enqueued = 0;
  dequeued = 0;
  deleted = false;
  /** The topic subscription this queue buffers, if it is one. */
  subscription: Subscription | undefined;

  constructor(
    /** The store key: unique among queues, subscriptions and topics. */
    readonly key: string,
    /** The queue's own address, or for a subscription the topic filter it was made for. */
    readonly address: Address,
    readonly kind: QueueKind,
    readonly durable: boolean,
    private readonly host: QueueHost,
  ) {}

  get depth(): number {
    return this.pending.size + this.inflightCount + this.scheduledCount;
  }

  enqueue(entry: QueueEntry): void {
    this.enqueued++;
    if (this.holdBack(entry)) return;
    this.pending.push(entry);
    this.dispatch();
  }

  /** Enqueues recovered entries in seq order without dispatching each. */
  restore(entry: QueueEntry): void {
    if (!this.holdBack(entry)) this.pending.push(entry);
  }

  /** A scheduled entry's time has come: it waits at its place in send order. */
  releaseScheduled(entry: QueueEntry): void {
    this.scheduledCount--;
    if (this.deleted) {
      this.host.dequeued(this, entry).catch((err: unknown) =>
        this.host.logger.warn({ err, queue: this.address.name }, 'could not drop a scheduled message of a deleted queue'));
      return;
    }
    this.pending.insertInOrder(entry);
    this.dispatch();
  }

  private holdBack(entry: QueueEntry): boolean {
    const at = entry.deliveryTime;
    if (at === undefined || at <= Date.now()) return false;
    this.scheduledCount++;
    this.host.schedule(this, entry, at);
    return true;
  }

  addConsumer(c: Consumer): void {
    // Highest priority first, then oldest: the order pick() and the exclusive owner follow.
    let at = this.consumers.length;
    while (at > 0 && this.consumers[at - 1]!.priority < c.priority) at--;
    this.consumers.splice(at, 0, c);
    this.consumersChanged();
    this.dispatch();
  }

  removeConsumer(c: Consumer): void {
    const i = this.consumers.indexOf(c);
    if (i >= 0) this.consumers.splice(i, 1);
    for (const [group, owner] of this.groups) if (owner === c) this.groups.delete(group);
    this.consumersChanged();
  }

  private consumersChanged(): void {
    this.exclusiveOwner = this.consumers.find((c) => c.exclusive);
    this.mixedPriorities = this.consumers.some((c) => c.priority !== this.consumers[0]!.priority);
  }

  /** Hands pending messages to consumers with capacity until none can take more. */
  dispatch(): void {
    if (this.dispatching) {
      this.dispatchAgain = true;
      return;
    }
    this.dispatching = true;
    try {
      do {
        this.dispatchAgain = false;
        this.dispatchPass();
      } while (this.dispatchAgain);
    } finally {
      this.dispatching = false;
    }
  }

  private dispatchPass(): void {
    if (this.consumers.length === 0 || this.pending.size === 0 || !this.host.mayServe()) return;
    const now = Date.now();
    let skipped = 0;
    let entry = this.pending.first();
    while (entry) {
      // Read before the entry leaves the list (or the adapter, called synchronously, changes it).
      const next = entry.next;
      if (entry.pending && !this.offer(entry, now)) {
        if (!this.anyReady() || ++skipped > MAX_SCAN) return;
      }
      entry = next ?? this.pending.firstBelow(entry);
    }
  }

  /** Dead-letters `entry` if expired, else hands it to a consumer that can take it; false if none can. */
  private offer(entry: QueueEntry, now: number): boolean {
    if (isExpired(entry.message, now)) {
      this.pending.remove(entry);
      this.host.deadLetter(this, entry, 'expired').catch((err: unknown) =>
        this.host.logger.warn({ err, queue: this.address.name }, 'could not dead-letter an expired message'));
      return true;
    }
    if (this.pastRetention(entry, now)) {
      this.dropOld(entry);
      return true;
    }
    const consumer = this.pick(entry);
    if (!consumer) return false;
    this.pending.remove(entry);
    this.deliver(consumer, entry, now);
    return true;
  }

  private anyReady(): boolean {
    if (this.exclusiveOwner) return this.exclusiveOwner.capacity() > 0;
    for (const c of this.consumers) if (c.capacity() > 0) return true;
    return false;
  }

  /**
   * The exclusive consumer if there is one; else round-robin over the consumers of the highest
   * priority that have capacity and whose selector matches, then the next priority down. A message
   * group sticks to its consumer.
   */
  private pick(entry: QueueEntry): Consumer | undefined {
    const group = entry.message.groupId;
    if (group !== undefined) {
      const owner = this.groups.get(group);
      if (owner && !owner.closed && (!this.exclusiveOwner || owner === this.exclusiveOwner)) {
        return owner.capacity() > 0 && owner.accepts(entry) ? owner : undefined;
      }
    }
    const c = this.exclusiveOwner
      ? (this.exclusiveOwner.capacity() > 0 && this.exclusiveOwner.accepts(entry) ? this.exclusiveOwner : undefined)
      : this.pickShared(entry);
    if (c && group !== undefined) this.groups.set(group, c);
    return c;
  }

  private pickShared(entry: QueueEntry): Consumer | undefined {
    const cs = this.consumers;
    for (let start = 0; start < cs.length;) {
      let end = cs.length;
      if (this.mixedPriorities) for (end = start + 1; end < cs.length && cs[end]!.priority === cs[start]!.priority;) end++;
      const n = end - start;
      for (let i = 0; i < n; i++) {
        const idx = start + ((this.roundRobin + i) % n);
        const c = cs[idx]!;
        if (c.capacity() > 0 && c.accepts(entry)) {
          this.roundRobin = idx - start + 1;
          return c;
        }
      }
      start = end;
    }
    return undefined;
  }

  private deliver(consumer: Consumer, entry: QueueEntry, now: number): void {
    const visibility = consumer.autoSettle || !consumer.revocable ? 0 : this.settings().visibilityTimeoutMs;
    const delivery = consumer.take(entry, visibility > 0 ? now + visibility : undefined);
    if (visibility > 0) this.host.watchVisibility(this);
    if (consumer.autoSettle) {
      const consumed = this.consume(entry);
      if (consumed !== RESOLVED) {
        consumed.catch((err: unknown) =>
          this.host.logger.warn({ err, queue: this.address.name }, 'could not persist an auto-settled delivery'));
      }
    } else {
      this.inflightCount++;
    }
    try {
      consumer.owner.sink.deliver(delivery);
    } catch (err) {
      this.host.logger.error({ err, queue: this.address.name }, 'adapter failed to take a delivery');
    }
  }

  /** An inflight entry was settled as consumed. */
  settleConsumed(entry: QueueEntry): Promise<void> {
    this.inflightCount--;
    return this.consume(entry);
  }

  private consume(entry: QueueEntry): Promise<void> {
    this.dequeued++;
    return this.host.dequeued(this, entry);
  }

  /** An inflight entry goes back to the queue. `failed` counts the attempt (and may dead-letter it). */
  requeue(entry: QueueEntry, failed: boolean, enforceMaximum: boolean): Promise<void> {
    this.inflightCount--;
    if (failed) {
      entry.deliveryCount++;
      if (enforceMaximum && entry.deliveryCount > this.settings().maxRedeliveries) {
        return this.host.deadLetter(this, entry, 'max-redeliveries');
      }
      this.host.deliveryCounted(this, entry);
    }
    // The queue is gone (a deleted temporary queue, a dropped subscription): so is the entry.
    if (this.deleted) return this.host.dequeued(this, entry);
    this.pending.insertInOrder(entry);
    this.dispatch();
    return RESOLVED;
  }

  /**
   * Visibility timeout: what consumers hold unsettled past it goes back to the queue as a failed
   * attempt (dead-lettered past the redelivery limit, as SQS's maxReceiveCount); a late
   * settlement of it changes nothing. False once nothing here is inflight.
   */
  takeBackOverdue(now: number): boolean {
    const overdue = this.consumers.flatMap((c) => c.takeBackOverdue(now));
    for (const e of overdue) {
      this.requeue(e, true, true).catch((err: unknown) =>
        this.host.logger.warn({ err, queue: this.address.name }, 'could not take back an overdue delivery'));
    }
    if (overdue.length > 0) this.host.logger.debug({ queue: this.address.name, count: overdue.length }, 'visibility timeout: deliveries taken back');
    return this.inflightCount > 0 && !this.deleted;
  }

  /** An inflight entry is dead-lettered at its consumer's request. */
  reject(entry: QueueEntry): Promise<void> {
    this.inflightCount--;
    return this.host.deadLetter(this, entry, 'rejected');
  }

  /** Deletes every pending entry older than the queue's retention (SQS: deleted, not dead-lettered). */
  dropPastRetention(now: number): void {
    if (this.settings().retentionMs === 0) return;
    for (const e of this.pending.entries()) if (this.pastRetention(e, now)) this.dropOld(e);
  }

  private settings(): QueuePolicy {
    return (this.policy ??= this.host.policyOf(this));
  }

  private pastRetention(entry: QueueEntry, now: number): boolean {
    const retention = this.settings().retentionMs;
    return retention > 0 && entry.message.timestamp + retention <= now;
  }

  private dropOld(entry: QueueEntry): void {
    this.pending.remove(entry);
    this.consume(entry).catch((err: unknown) =>
      this.host.logger.warn({ err, queue: this.address.name }, 'could not delete a message past its retention'));
  }

  /** Removes every pending entry that has expired; returns them. */
  takeExpired(now: number): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (const e of this.pending.entries()) {
      if (isExpired(e.message, now)) {
        this.pending.remove(e);
        out.push(e);
      }
    }
    return out;
  }
}
