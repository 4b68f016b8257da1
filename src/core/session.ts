import type {
  BrowsedMessage, BrowseOptions, ConsumerId, CoreSession, DeliveryId, DeliverySink, Outcome, SettleOptions, SubscribeOptions, TxId,
} from '../spi/core.js';
import { BrokerError } from '../spi/errors.js';
import type { Address, OutgoingMessage } from '../spi/message.js';
import type { Consumer, ConsumerOwner } from './consumer.js';
import { ConsumerGroup } from './consumer-group.js';
import type { QueueEntry } from './queue-entry.js';
import { RESOLVED } from './resolved.js';
import type { SessionHost } from './session-host.js';
import type { Origin } from './subscription.js';
import { newTransaction, type Transaction } from './transaction.js';

type SessionState = 'open' | 'closing' | 'closed';

/** For settlements whose freed window is dispatched once afterwards. */
const NO_DISPATCH = { dispatch(): void {} };

/** One protocol connection's view of the core. */
export class Session implements CoreSession, ConsumerOwner, Origin {
  /** A consumer of one queue, or of every queue a wildcard names. */
  readonly consumers = new Map<ConsumerId, Consumer | ConsumerGroup>();
  readonly temporaries = new Set<string>();
  private readonly transactions = new Map<TxId, Transaction>();
  private state: SessionState = 'open';
  private nextConsumer = 1;
  private nextDelivery = 1;
  private nextTx = 1;
  private nextMessage = 1;
  private nextTemporary = 1;
  writable = true;

  constructor(
    readonly id: string,
    readonly clientId: string | undefined,
    readonly protocol: string,
    readonly sink: DeliverySink,
    private readonly host: SessionHost,
  ) {}

  get sessionId(): string {
    return this.id;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  nextDeliveryId(): DeliveryId {
    return this.nextDelivery++;
  }

  newMessageId(): string {
    return `${this.id}:${this.nextMessage++}`;
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new BrokerError('SESSION_CLOSED');
    this.host.assertServing();
  }

  send(to: Address, outgoing: OutgoingMessage, tx?: TxId): Promise<void> {
    try {
      this.assertOpen();
      const message = this.host.completeMessage(to, outgoing, this);
      if (tx !== undefined) {
        this.transaction(tx).sends.push({ to, message });
        return RESOLVED;
      }
      return this.host.route(to, message, this);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async subscribe(from: Address, options: SubscribeOptions): Promise<ConsumerId> {
    this.assertOpen();
    const id = this.nextConsumer++;
    const consumer = await this.host.subscribe(this, id, from, options);
    // A wildcard consumer's members: those of queues made meanwhile included (see BrokerCore.joinWildcardConsumers).
    const members = (): Consumer[] => (consumer instanceof ConsumerGroup ? [...consumer.members.values()] : [consumer]);
    if (this.state !== 'open') {
      for (const m of members()) m.queue.attaching--;
      await this.closeConsumer(consumer);
      throw new BrokerError('SESSION_CLOSED');
    }
    this.consumers.set(id, consumer);
    // Deliveries start on the next macrotask, so the adapter has the consumer id before the first one.
    setImmediate(() => {
      if (consumer instanceof ConsumerGroup) consumer.attached = true;
      for (const m of members()) {
        m.queue.attaching--;
        if (!m.closed) m.queue.addConsumer(m);
      }
    });
    return id;
  }

  async unsubscribe(consumerId: ConsumerId): Promise<void> {
    const consumer = this.consumer(consumerId);
    this.consumers.delete(consumerId);
    await this.closeConsumer(consumer);
  }

  private closeConsumer(c: Consumer | ConsumerGroup): Promise<void> {
    return c instanceof ConsumerGroup ? this.host.closeGroup(c) : this.host.closeConsumer(c);
  }

  browse(from: Address, options: BrowseOptions = {}): Promise<BrowsedMessage[]> {
    try {
      this.assertOpen();
      return Promise.resolve(this.host.browse(this, from, options));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  removeDurable(name: string): Promise<void> {
    this.assertOpen();
    if (this.clientId === undefined) return Promise.reject(new BrokerError('CLIENT_ID_REQUIRED'));
    return this.host.removeDurable(this.clientId, name);
  }

  addCredit(consumerId: ConsumerId, n: number): void {
    const c = this.consumer(consumerId);
    c.addCredit(n);
    c.dispatch();
  }

  drain(consumerId: ConsumerId): number {
    return this.consumer(consumerId).drain();
  }

  settle(consumerId: ConsumerId, deliveryId: DeliveryId, outcome: Outcome, options?: SettleOptions): Promise<void> {
    try {
      this.host.assertServing();
      const consumer = this.consumer(consumerId);
      // Looked up before anything is released, so that an unknown tx leaves the deliveries unsettled.
      const tx = options?.tx !== undefined ? this.transaction(options.tx) : undefined;
      const cumulative = options?.cumulative === true;
      if (consumer instanceof ConsumerGroup) return this.settleInGroup(consumer, deliveryId, outcome, cumulative, tx);
      return this.settleReleased(consumer, consumer.release(deliveryId, cumulative), deliveryId, outcome, tx);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Applies an outcome to the entries a consumer released for a settlement (or defers it to `tx`),
   * then lets `freed` dispatch into the window it freed.
   */
  private settleReleased(
    consumer: Consumer, settled: QueueEntry[] | undefined, deliveryId: DeliveryId, outcome: Outcome, tx: Transaction | undefined,
    freed: { dispatch(): void } = consumer,
  ): Promise<void> {
    if (!settled) throw new BrokerError('NO_SUCH_DELIVERY', `delivery ${deliveryId} is unknown or settled`);
    let done = RESOLVED;
    // None: deliveries the visibility timeout took back, someone else's now (their slots are free).
    if (tx) for (const entry of settled) tx.settlements.push({ queue: consumer.queue, entry, outcome });
    else if (settled.length > 0) done = this.applyOutcome(consumer, settled, outcome);
    freed.dispatch();
    return done;
  }

  /** A wildcard consumer's settlement: by the member that delivered it; cumulative over all members (delivery ids are the session's). */
  private settleInGroup(g: ConsumerGroup, deliveryId: DeliveryId, outcome: Outcome, cumulative: boolean, tx: Transaction | undefined): Promise<void> {
    const holder = g.holder(deliveryId);
    if (!holder) throw new BrokerError('NO_SUCH_DELIVERY', `delivery ${deliveryId} is unknown or settled`);
    // The window is the group's: what one queue freed, the queues fill in turn (g.dispatch()).
    if (!cumulative) return this.settleReleased(holder, holder.release(deliveryId, false), deliveryId, outcome, tx, g);
    const done = [...g.members.values()].map((m) =>
      this.settleReleased(m, m === holder ? m.release(deliveryId, true) : m.releaseThrough(deliveryId), deliveryId, outcome, tx, NO_DISPATCH));
    g.dispatch();
    return Promise.all(done).then(() => undefined);
  }

  private applyOutcome(consumer: Consumer, settled: QueueEntry[], outcome: Outcome): Promise<void> {
    const q = consumer.queue;
    if (settled.length === 1) return this.host.settleEntry(q, settled[0]!, outcome);
    return Promise.all(settled.map((e) => this.host.settleEntry(q, e, outcome))).then(() => undefined);
  }

  createTemporary(routing: Address['routing']): Address {
    this.assertOpen();
    const address: Address = { name: `${this.id}:${this.nextTemporary++}`, routing, temporary: true };
    this.host.createTemporary(this, address);
    this.temporaries.add(address.name);
    return address;
  }

  async deleteTemporary(address: Address): Promise<void> {
    if (!this.temporaries.delete(address.name)) {
      throw new BrokerError('TEMP_DESTINATION_GONE', `temporary destination ${address.name} is not this session's`);
    }
    await this.host.deleteTemporary(address.name);
  }

  begin(): TxId {
    this.assertOpen();
    const id = this.nextTx++;
    this.transactions.set(id, newTransaction(id));
    return id;
  }

  async commit(txId: TxId): Promise<void> {
    const tx = this.transaction(txId);
    this.transactions.delete(txId);
    await this.host.commit(tx, this);
  }

  async rollback(txId: TxId): Promise<void> {
    const tx = this.transaction(txId);
    this.transactions.delete(txId);
    await this.host.rollback(tx);
  }

  setWritable(writable: boolean): void {
    if (this.writable === writable) return;
    this.writable = writable;
    if (writable) for (const c of this.consumers.values()) c.dispatch();
  }

  /** Closes the session; idempotent. */
  async close(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'closing';
    const work: Promise<void>[] = [];
    // Consumers first: what the rollbacks put back must not be dispatched to this closing session.
    for (const c of this.consumers.values()) work.push(this.closeConsumer(c));
    this.consumers.clear();
    for (const tx of this.transactions.values()) work.push(this.host.rollback(tx));
    this.transactions.clear();
    for (const name of this.temporaries) work.push(this.host.deleteTemporary(name));
    this.temporaries.clear();
    this.host.sessionClosed(this);
    this.state = 'closed';
    await Promise.all(work);
  }

  private consumer(id: ConsumerId): Consumer | ConsumerGroup {
    const c = this.consumers.get(id);
    if (!c) throw new BrokerError('NO_SUCH_CONSUMER', `consumer ${id} does not exist`);
    return c;
  }

  private transaction(id: TxId): Transaction {
    this.assertOpen();
    const tx = this.transactions.get(id);
    if (!tx) throw new BrokerError('NO_SUCH_TRANSACTION', `transaction ${id} is unknown`);
    return tx;
  }
}
