import type {
  BrowsedMessage, BrowseOptions, ConsumerId, CoreSession, DeliveryId, DeliverySink, Outcome, SettleOptions, SubscribeOptions, TxId,
} from '../spi/core.js';
import { BrokerError } from '../spi/errors.js';
import type { Address, OutgoingMessage } from '../spi/message.js';
import { Consumer, type ConsumerOwner } from './consumer.js';
import type { QueueEntry } from './queue-entry.js';
import { RESOLVED } from './resolved.js';
import type { SessionHost } from './session-host.js';
import type { Origin } from './subscription.js';
import { newTransaction, type Transaction } from './transaction.js';

type SessionState = 'open' | 'closing' | 'closed';

/** One protocol connection's view of the core. */
export class Session implements CoreSession, ConsumerOwner, Origin {
  readonly consumers = new Map<ConsumerId, Consumer>();
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
    if (this.state !== 'open') {
      consumer.queue.attaching--;
      await this.host.closeConsumer(consumer);
      throw new BrokerError('SESSION_CLOSED');
    }
    this.consumers.set(id, consumer);
    // Deliveries start on the next macrotask, so the adapter has the consumer id before the first one.
    setImmediate(() => {
      consumer.queue.attaching--;
      if (!consumer.closed) consumer.queue.addConsumer(consumer);
    });
    return id;
  }

  async unsubscribe(consumerId: ConsumerId): Promise<void> {
    const consumer = this.consumer(consumerId);
    this.consumers.delete(consumerId);
    await this.host.closeConsumer(consumer);
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
    c.queue.dispatch();
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
      const settled = consumer.release(deliveryId, options?.cumulative === true);
      if (!settled) throw new BrokerError('NO_SUCH_DELIVERY', `delivery ${deliveryId} is unknown or settled`);
      // Only deliveries the visibility timeout took back: they are someone else's now.
      if (settled.length === 0) return RESOLVED;
      if (tx) {
        for (const entry of settled) tx.settlements.push({ queue: consumer.queue, entry, outcome });
        consumer.queue.dispatch();
        return RESOLVED;
      }
      const done = this.applyOutcome(consumer, settled, outcome);
      consumer.queue.dispatch();
      return done;
    } catch (e) {
      return Promise.reject(e);
    }
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
    if (writable) for (const c of this.consumers.values()) c.queue.dispatch();
  }

  /** Closes the session; idempotent. */
  async close(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'closing';
    const work: Promise<void>[] = [];
    // Consumers first: what the rollbacks put back must not be dispatched to this closing session.
    for (const c of this.consumers.values()) work.push(this.host.closeConsumer(c));
    this.consumers.clear();
    for (const tx of this.transactions.values()) work.push(this.host.rollback(tx));
    this.transactions.clear();
    for (const name of this.temporaries) work.push(this.host.deleteTemporary(name));
    this.temporaries.clear();
    this.host.sessionClosed(this);
    this.state = 'closed';
    await Promise.all(work);
  }

  private consumer(id: ConsumerId): Consumer {
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
