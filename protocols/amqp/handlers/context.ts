import type { Logger } from 'pino';
import type { AdapterState, ConsumerId, CoreSession, Delivery } from '../../../src/spi/index.js';
import type { AmqpConfig } from '../config.js';
import type { EngineContext, EngineDelivery, EngineLink, EngineSession, Typed } from '../rhea-engine.js';
import type { Transactions } from './transactions.js';

/** What the frame hook saw of the transfer(s) of the message now being handled. */
export interface TransferFacts {
  /** message-format of the first transfer; 0 is the standard AMQP message. */
  format: number;
  /** Assembled bytes passed the limit: the payload was dropped, the delivery must be rejected. */
  oversized: boolean;
  aborted: boolean;
  /** Sent when the link had no credit: the link is to be detached (transfer-limit-exceeded). */
  overCredit: boolean;
  /** The raw delivery state on the transfer (transactional-state for transactional sends). */
  state?: Typed;
}

/** One link's handler, as the connection keeps it. */
export interface LinkHandler {
  readonly link: EngineLink;
  /**
   * The link is gone from the peer's side: detached (closed or not; we answer alike), or, with
   * `answer` false, its session ended.
   */
  detached(closed: boolean, answer?: boolean): void;
  /** The connection is gone: stop timers (the core session's close does the rest). */
  dispose(): void;
}

/** What a link handler needs of its connection. */
export interface LinkContext {
  readonly config: AmqpConfig;
  readonly log: Logger;
  readonly session: CoreSession;
  /** The connection's container-id when it holds it as the client id (durable subscriptions). */
  readonly clientId: string | undefined;
  readonly state: AdapterState;
  readonly transactions: Transactions;
  /** The txn-id of a transactional disposition the peer sent for this outgoing delivery. */
  txnOfDelivery(delivery: EngineDelivery): Buffer | undefined;
  /** The transfer facts of the message event being dispatched (consumed once). */
  takeTransfer(): TransferFacts;
  registerConsumer(consumer: ConsumerId, handler: ConsumerLink): void;
  unregisterConsumer(consumer: ConsumerId): void;
  linkClosed(handler: LinkHandler): void;
  /** A delivery went into this session's outgoing buffer (the connection watches its room). */
  deliveryQueued(session: EngineSession): void;
  /** Some outgoing deliveries were settled: buffers may have room again. */
  deliveriesSettled(): void;
  /** Registers a listener on a link; a throwing listener fails the connection, never the process. */
  listen(link: EngineLink, event: string, listener: (context: EngineContext) => void): void;
}

/** A link the core delivers to. */
export interface ConsumerLink extends LinkHandler {
  deliver(delivery: Delivery): void;
  /** The core closed the consumer (its temporary destination or subscription went away). */
  closedByCore(reason: unknown): void;
}
