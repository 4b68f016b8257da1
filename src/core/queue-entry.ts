import type { CoreMessage } from '../spi/message.js';
import { decodeMessage, peekPriority, peekScheduled } from './message-codec.js';

/**
 * A recovered message, decoded on first use: a restart then costs a scan of the journal, not the
 * decoding of every queued message. Shared by the entries of every subscription that holds it.
 */
export class StoredMessage {
  readonly priority: number;
  readonly size: number;
  /** Has a delivery time: decoded at recovery to learn it (other messages stay undecoded). */
  readonly scheduled: boolean;
  private data: Uint8Array | undefined;
  private decoded: CoreMessage | undefined;

  constructor(data: Uint8Array) {
    this.data = data;
    this.priority = peekPriority(data);
    this.scheduled = peekScheduled(data);
    this.size = data.length;
  }

  get message(): CoreMessage {
    if (!this.decoded) {
      this.decoded = decodeMessage(this.data!);
      this.data = undefined;
    }
    return this.decoded;
  }

  /** The message, without keeping a decoded copy (a browse of a recovered queue). */
  peek(): CoreMessage {
    return this.decoded ?? decodeMessage(this.data!);
  }
}

/** A message's place in one queue (or subscription). A topic message has one entry per subscription. */
export class QueueEntry {
  /** Handed to a consumer before. */
  redelivered: boolean;
  pending = false;
  prev: QueueEntry | null = null;
  next: QueueEntry | null = null;

  constructor(
    private loaded: CoreMessage | undefined,
    private readonly stored: StoredMessage | undefined,
    readonly seq: number,
    /** The id of the message record in the store; undefined when the entry is not durable. */
    readonly storeId: string | undefined,
    /** Failed delivery attempts so far. */
    public deliveryCount: number,
    /** 0–9: which pending list the entry sits in. */
    readonly priority: number,
    /** Bytes counted against the memory limit while the entry exists. */
    readonly size: number,
  ) {
    this.redelivered = deliveryCount > 0;
  }

  get message(): CoreMessage {
    return (this.loaded ??= this.stored!.message);
  }

  /** Not to be delivered before this time (scheduled delivery), ms since the epoch. */
  get deliveryTime(): number | undefined {
    return this.loaded || this.stored!.scheduled ? this.message.deliveryTime : undefined;
  }

  /** The message, without decoding it for keeps. */
  peek(): CoreMessage {
    return this.loaded ?? this.stored!.peek();
  }
}

export function newEntry(message: CoreMessage, seq: number, storeId: string | undefined, deliveryCount = 0): QueueEntry {
  return new QueueEntry(message, undefined, seq, storeId, deliveryCount, message.priority, message.body.length);
}

export function recoveredEntry(stored: StoredMessage, seq: number, storeId: string, deliveryCount: number): QueueEntry {
  return new QueueEntry(undefined, stored, seq, storeId, deliveryCount, stored.priority, stored.size);
}

export function isExpired(message: CoreMessage, now: number): boolean {
  return message.expiration > 0 && message.expiration <= now;
}
