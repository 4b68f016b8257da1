import type { BrokerError } from './errors.js';
import type { Address, CoreMessage, OutgoingMessage } from './message.js';

/**
 * The adapter-facing interface of the core: the only thing a protocol adapter talks to.
 *
 * One CoreSession per protocol connection. Protocol-level sessions (JMS sessions, AMQP sessions)
 * share it and tell their transactions apart by TxId. The core calls back through the
 * DeliverySink, synchronously, on the event loop.
 */

export type ConsumerId = number;
export type DeliveryId = number;
export type TxId = number;

export interface Credentials {
  username?: string;
  password?: string;
  /** e.g. a TLS client certificate subject, for later use. */
  certificateSubject?: string;
}

export interface Principal {
  readonly name: string;
  readonly anonymous: boolean;
}

export interface SessionOptions {
  principal: Principal;
  /** Adapter name, e.g. 'stomp'; used in logs and metrics. */
  protocol: string;
  remoteAddress?: string;
  /** The connection's client id (JMS clientID, STOMP client-id, MQTT client identifier). */
  clientId?: string;
  /**
   * What happens when another live session holds the same client id: `reject` (JMS, STOMP:
   * throws CLIENT_ID_IN_USE) or `takeover` (MQTT: the old session is closed with TAKEOVER).
   */
  clientIdPolicy?: 'reject' | 'takeover';
}

/**
 * Outcome of a delivery, named as AMQP names them:
 * - accepted: consumed; removed from the queue.
 * - rejected: poison; moved to the dead-letter queue now.
 * - released: not processed; back to the queue, the attempt does not count towards the maximum.
 * - modified: delivery failed; back to the queue with the delivery count raised; dead-lettered
 *   when it exceeds the configured maximum of redeliveries.
 */
export type Outcome = 'accepted' | 'rejected' | 'released' | 'modified';

export interface SubscribeOptions {
  /** JMS SQL-92 selector over headers and properties. */
  selector?: string;
  /** Do not deliver messages this same session sent (topics). */
  noLocal?: boolean;
  /** A durable topic subscription, named within the session's client id. */
  durableName?: string;
  /**
   * A shared subscription: consumers with the same group on the same topic filter compete for
   * one copy (MQTT `$share/{group}/...`, JMS 2 shared consumers).
   */
  sharedGroup?: string;
  /**
   * Flow control. `window`: at most `size` unsettled deliveries (STOMP/OpenWire prefetch, MQTT
   * receive maximum): settling a delivery frees its slot. `credit`: AMQP-style, the consumer
   * starts with `initial` and gets more only through addCredit(). `unbounded`: no limit
   * (auto-acknowledged consumers); the transport's writability still applies.
   */
  flow: { kind: 'window'; size: number } | { kind: 'credit'; initial: number } | { kind: 'unbounded' };
  /** Deliveries are settled as accepted the moment they are handed over (at-most-once, auto ack). */
  autoSettle?: boolean;
  /**
   * Consumer priority (ActiveMQ `consumer.priority`): consumers of a higher priority that can
   * take a message get it first; lower ones only what the higher ones cannot take. Default 0.
   */
  priority?: number;
  /**
   * Exclusive consumer (ActiveMQ `consumer.exclusive`): while one is attached, the queue
   * dispatches to it alone (the highest-priority, then the oldest); the next takes over when it goes.
   */
  exclusive?: boolean;
  /**
   * Whether a destination's visibility timeout (core.policies) may take back this consumer's
   * unsettled deliveries and deliver them again; default true. Off for clients that must not get
   * a second copy while they hold the first: ActiveMQ's JMS client poison-acks a message sent to
   * its connection twice, and an MQTT session retransmits its own in-flight messages (QoS 2).
   */
  revocable?: boolean;
}

export interface Delivery {
  /** Unique within the session; increasing per consumer. */
  readonly id: DeliveryId;
  readonly consumerId: ConsumerId;
  readonly message: CoreMessage;
  /** 1 on first delivery; raised by each failed attempt. */
  readonly deliveryCount: number;
  /** True if this message was handed to a consumer before (JMSRedelivered). */
  readonly redelivered: boolean;
  /** The address the consumer subscribed to (may be a wildcard filter). */
  readonly subscription: Address;
}

export interface BrowseOptions {
  /** JMS SQL-92 selector over headers and properties. */
  selector?: string;
  /** At most this many messages (also capped by the broker's `core.browseMaxMessages`). */
  max?: number;
}

/** A message seen by a browse: a copy, not a delivery; nothing is settled. */
export interface BrowsedMessage {
  readonly message: CoreMessage;
  /** As a delivery of it now would carry: 1 + failed attempts so far. */
  readonly deliveryCount: number;
  readonly redelivered: boolean;
}

export interface SettleOptions {
  /** Settle this delivery and every earlier unsettled one of the same consumer (STOMP `client`). */
  cumulative?: boolean;
  /** Settle as part of a transaction: takes effect at commit; a rollback redelivers. */
  tx?: TxId;
}

export interface CoreSession {
  readonly id: string;
  readonly clientId: string | undefined;
  /**
   * Routes a message. Resolves when it is safe to acknowledge to the producer: a persistent
   * message is durable in the store; a non-persistent one is accepted in memory. Resolves later
   * under memory or store pressure (producer flow control); rejects with a BrokerError.
   * With `tx`, the message is held until commit.
   */
  send(to: Address, message: OutgoingMessage, tx?: TxId): Promise<void>;
  /**
   * Creates a consumer. Rejects with INVALID_SELECTOR, CLIENT_ID_REQUIRED, ... Its deliveries
   * begin on the next macrotask after the promise resolves, so the adapter can record the id first.
   */
  subscribe(from: Address, options: SubscribeOptions): Promise<ConsumerId>;
  /**
   * Closes a consumer. Its unsettled deliveries return to their queue (counted as failed
   * attempts). A durable subscription stays, with its messages, until removeDurable().
   */
  unsubscribe(consumer: ConsumerId): Promise<void>;
  /**
   * A snapshot of the messages waiting in a queue (anycast address), in the order they would be
   * dispatched; messages in flight to consumers and expired ones are not included. Nothing is
   * removed or locked (JMS QueueBrowser, STOMP `browser:true`). A queue that does not exist is
   * empty (and is not created).
   */
  browse(from: Address, options?: BrowseOptions): Promise<BrowsedMessage[]>;
  /** Deletes a durable subscription of this session's client id and its messages. */
  removeDurable(name: string): Promise<void>;
  /** Grants more deliveries to a `credit` consumer (or widens a `window` one by n). */
  addCredit(consumer: ConsumerId, n: number): void;
  /** Takes back all credit and reports how much was unused (AMQP drain). */
  drain(consumer: ConsumerId): number;
  /**
   * Settles a delivery; resolves when the outcome is durable. Throws NO_SUCH_DELIVERY; a delivery
   * the visibility timeout took back settles as a no-op (it is someone else's by now).
   */
  settle(consumer: ConsumerId, delivery: DeliveryId, outcome: Outcome, options?: SettleOptions): Promise<void>;
  /** A new temporary queue or topic owned by this session; deleted when it closes. */
  createTemporary(routing: Address['routing']): Address;
  deleteTemporary(address: Address): Promise<void>;
  begin(): TxId;
  commit(tx: TxId): Promise<void>;
  rollback(tx: TxId): Promise<void>;
  /**
   * Transport backpressure: while false, the core delivers nothing to this session's consumers.
   * Adapters set it from their socket's write buffer (false above the high-water mark, true on drain).
   */
  setWritable(writable: boolean): void;
  /** Closes every consumer (unsettled deliveries go back), rolls back open transactions. */
  close(): Promise<void>;
}

export interface DeliverySink {
  /** Called only while the consumer has credit and the session is writable. */
  deliver(delivery: Delivery): void;
  /** The core closed a consumer (its temporary destination or durable subscription was deleted). */
  consumerClosed(consumer: ConsumerId, reason: BrokerError): void;
  /** The core closed the whole session (takeover by client id, shutdown, store failure). */
  sessionClosed(reason: BrokerError): void;
}

/**
 * Small durable keyed state for adapters (MQTT sessions, retained messages, wills, deadlines),
 * kept in the same store as messages, in named spaces (use the adapter's name as a prefix).
 * Reads are from memory; writes resolve once durable.
 */
export interface AdapterState {
  get(space: string, key: string): Uint8Array | undefined;
  /** Every key of a space (recovered at start, plus later writes). */
  entries(space: string): ReadonlyMap<string, Uint8Array>;
  put(space: string, key: string, value: Uint8Array): Promise<void>;
  delete(space: string, key: string): Promise<void>;
}

export interface Core {
  /** The broker's name, for CONNECTED `server` headers and BrokerInfo. */
  readonly brokerName: string;
  /** Checks credentials against the configured users; rejects with NOT_AUTHORIZED. */
  authenticate(credentials: Credentials): Promise<Principal>;
  /** Opens a session. Throws CLIENT_ID_IN_USE under the `reject` policy. */
  openSession(options: SessionOptions, sink: DeliverySink): CoreSession;
  /** True while the core is serving (not shutting down, store healthy). */
  readonly serving: boolean;
  /** Durable keyed state for adapters. */
  readonly state: AdapterState;
}
