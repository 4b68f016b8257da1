import type { Address, ConsumerId, DeliveryId } from '../../src/spi/index.js';

export type AckMode = 'auto' | 'client' | 'client-individual';

/** A delivery the client still has to ACK or NACK. */
export interface PendingDelivery {
  readonly deliveryId: DeliveryId;
  readonly messageId: string;
  /** The 1.2 `ack` header value; unique per delivery within the connection. */
  readonly ackId: string;
  readonly subscription: ConsumerSubscription;
}

export interface Subscription {
  /** The STOMP subscription id (1.0 without `id`: the destination header). */
  readonly id: string;
  /** Undefined for a queue browse (`browser:true`): no core consumer behind it. */
  readonly consumerId: ConsumerId | undefined;
  readonly address: Address;
  readonly ackMode: AckMode;
  /** Unacknowledged deliveries by message id, in delivery order. */
  readonly pending: Map<string, PendingDelivery>;
}

/** A subscription fed by a core consumer (every one but a browse). */
export type ConsumerSubscription = Subscription & { readonly consumerId: ConsumerId };

/**
 * The connection's subscriptions and their unacknowledged deliveries, found by subscription id,
 * consumer id or 1.2 ack id — the bookkeeping of ActiveMQ's StompSubscription.dispatchedMessage and
 * ProtocolConverter.pendingAcks.
 */
export class SubscriptionRegistry {
  private readonly byId = new Map<string, Subscription>();
  private readonly byConsumer = new Map<ConsumerId, ConsumerSubscription>();
  private readonly byAckId = new Map<string, PendingDelivery>();

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): Subscription | undefined {
    return this.byId.get(id);
  }

  ofConsumer(consumer: ConsumerId): ConsumerSubscription | undefined {
    return this.byConsumer.get(consumer);
  }

  all(): IterableIterator<Subscription> {
    return this.byId.values();
  }

  add(sub: Subscription): void {
    this.byId.set(sub.id, sub);
    if (sub.consumerId !== undefined) this.byConsumer.set(sub.consumerId, sub as ConsumerSubscription);
  }

  /** Forgets a subscription and its pending deliveries (the core takes them back). */
  remove(sub: Subscription): void {
    if (this.byId.get(sub.id) === sub) this.byId.delete(sub.id);
    if (sub.consumerId !== undefined) this.byConsumer.delete(sub.consumerId);
    for (const p of sub.pending.values()) this.byAckId.delete(p.ackId);
    sub.pending.clear();
  }

  /** Records a delivery of a client-acknowledged subscription. */
  track(sub: ConsumerSubscription, deliveryId: DeliveryId, messageId: string): PendingDelivery {
    // Delivery ids are unique within the core session, hence within the connection.
    const pending: PendingDelivery = { deliveryId, messageId, ackId: String(deliveryId), subscription: sub };
    const previous = sub.pending.get(messageId);
    if (previous !== undefined) {
      // Redelivered while still pending: it moves to the end of the delivery order.
      this.byAckId.delete(previous.ackId);
      sub.pending.delete(messageId);
    }
    sub.pending.set(messageId, pending);
    this.byAckId.set(pending.ackId, pending);
    return pending;
  }

  byAck(ackId: string): PendingDelivery | undefined {
    return this.byAckId.get(ackId);
  }

  /** STOMP 1.0 ACK names only a message id: the first subscription holding it (as ActiveMQ). */
  byMessageId(messageId: string): PendingDelivery | undefined {
    for (const sub of this.byId.values()) {
      const p = sub.pending.get(messageId);
      if (p !== undefined) return p;
    }
    return undefined;
  }

  /**
   * Removes what an acknowledgement settles: the delivery alone, or with `cumulative` also every
   * earlier pending delivery of its subscription (ack mode `client`).
   */
  settle(pending: PendingDelivery, cumulative: boolean): void {
    const sub = pending.subscription;
    if (cumulative) {
      for (const [messageId, p] of sub.pending) {
        sub.pending.delete(messageId);
        this.byAckId.delete(p.ackId);
        if (p === pending) break;
      }
    } else {
      sub.pending.delete(pending.messageId);
      this.byAckId.delete(pending.ackId);
    }
  }
}
