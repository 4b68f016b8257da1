import type { InboundFrame } from '../codec/frame.js';
import { ProtocolError } from '../errors.js';
import { acknowledgedDelivery } from './acknowledged-delivery.js';
import type { StompContext } from './context.js';
import { transactionOf } from './transactions.js';

/**
 * NACK (1.1+): ActiveMQ's StompSubscription.onStompMessageNack sends a POISON_ACK for the one
 * message, which the broker moves to the dead-letter queue at once, without redelivery — so the
 * core outcome is `rejected` (not `modified`, which would redeliver). Only the named message is
 * affected, whatever the ack mode. Inside a transaction it takes effect at COMMIT.
 */
export function nack(frame: InboundFrame, ctx: StompContext): void {
  if (ctx.version === '1.0') throw new ProtocolError('NACK received but connection is in v1.0 mode.');
  const pending = acknowledgedDelivery(frame, ctx, 'NACK');
  const tx = transactionOf(frame, ctx);
  ctx.subscriptions.settle(pending, false);
  const session = ctx.session;
  ctx.track(frame, () =>
    session.settle(pending.subscription.consumerId, pending.deliveryId, 'rejected', tx !== undefined ? { tx } : {}),
  );
}
