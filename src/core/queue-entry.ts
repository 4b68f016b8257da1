import type { CoreMessage } from '../spi/message.js';

/** A message's place in one queue (or subscription). A topic message has one entry per subscription. */
export interface QueueEntry {
  readonly message: CoreMessage;
  /** The id of the message record in the store; undefined when the entry is not durable. */
  readonly storeId: string | undefined;
  readonly seq: number;
  /** Failed delivery attempts so far. */
  deliveryCount: number;
  /** Handed to a consumer before. */
  redelivered: boolean;
  pending: boolean;
  prev: QueueEntry | null;
  next: QueueEntry | null;
}

export function newEntry(message: CoreMessage, seq: number, storeId: string | undefined, deliveryCount = 0): QueueEntry {
  return { message, storeId, seq, deliveryCount, redelivered: deliveryCount > 0, pending: false, prev: null, next: null };
}

export function isExpired(message: CoreMessage, now: number): boolean {
  return message.expiration > 0 && message.expiration <= now;
}
