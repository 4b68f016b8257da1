import type { SettleOptions } from '../../../src/spi/index.js';
import type { InboundFrame } from '../codec/frame.js';
import { acknowledgedDelivery } from './acknowledged-delivery.js';
import type { StompContext } from './context.js';
import { transactionOf } from './transactions.js';

/**
 * ACK: accepted. Subscriptions with ack `client` acknowledge cumulatively (this message and every
 * earlier one of the subscription), `client-individual` just this one. Inside a transaction the
 * acknowledgement takes effect at COMMIT.
 */
export function ack(frame: InboundFrame, ctx: StompContext): void {
  const pending = acknowledgedDelivery(frame, ctx, 'ACK');
  const tx = transactionOf(frame, ctx);
  const sub = pending.subscription;
  const cumulative = sub.ackMode === 'client';
  ctx.subscriptions.settle(pending, cumulative);
  const session = ctx.session;
  const options: SettleOptions | undefined = cumulative || tx !== undefined ? { cumulative, tx } : undefined;
  ctx.track(frame, () => session.settle(sub.consumerId, pending.deliveryId, 'accepted', options));
}
