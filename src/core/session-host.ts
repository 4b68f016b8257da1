import type { BrowsedMessage, BrowseOptions, ConsumerId, Outcome, SubscribeOptions } from '../spi/core.js';
import type { Address, CoreMessage, OutgoingMessage } from '../spi/message.js';
import type { Consumer } from './consumer.js';
import type { ConsumerGroup } from './consumer-group.js';
import type { QueueEntry } from './queue-entry.js';
import type { Queue } from './queue.js';
import type { Session } from './session.js';
import type { Transaction } from './transaction.js';

/** Hands out message ids for messages sent without one (the session, by its own counter). */
export interface MessageIdSource {
  newMessageId(): string;
}

/** What a session asks of the broker core: the session keeps per-connection state, the host the shared state. */
export interface SessionHost {
  /** Throws SHUTDOWN once the core stopped or is fenced off (HA). */
  assertServing(): void;
  completeMessage(to: Address, m: OutgoingMessage, ids: MessageIdSource): CoreMessage;
  route(to: Address, m: CoreMessage, from: Session): Promise<void>;
  subscribe(session: Session, id: ConsumerId, from: Address, o: SubscribeOptions): Promise<Consumer | ConsumerGroup>;
  closeConsumer(c: Consumer): Promise<void>;
  closeGroup(g: ConsumerGroup): Promise<void>;
  browse(session: Session, from: Address, o: BrowseOptions): BrowsedMessage[];
  removeDurable(clientId: string, name: string): Promise<void>;
  settleEntry(q: Queue, e: QueueEntry, outcome: Outcome): Promise<void>;
  createTemporary(owner: Session, address: Address): void;
  deleteTemporary(name: string): Promise<void>;
  commit(tx: Transaction, from: Session): Promise<void>;
  rollback(tx: Transaction): Promise<void>;
  sessionClosed(s: Session): void;
}
