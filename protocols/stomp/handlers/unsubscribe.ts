import type { InboundFrame } from '../codec/frame.js';
import { ProtocolError } from '../errors.js';
import type { Subscription } from '../subscriptions.js';
import type { StompContext } from './context.js';

/**
 * UNSUBSCRIBE by `id` (from 1.1 on required; 1.0 may name the destination instead). Its
 * unacknowledged deliveries go back to the core. A durable subscription stays, with its
 * messages, unless the frame carries `activemq.subscriptionName` (ActiveMQ's way to remove one):
 * then the consumer, if still open, is closed and the durable subscription deleted. Unlike
 * ActiveMQ, which refuses to delete a durable subscription whose consumer is still open, one
 * frame with both `id` and the name does both.
 */
export async function unsubscribe(frame: InboundFrame, ctx: StompContext): Promise<void> {
  const h = frame.headers;
  const id = h.get('id');
  const destination = h.get('destination');
  if (id === undefined && ctx.version !== '1.0') throw new ProtocolError('UNSUBSCRIBE received without a subscription id!');
  if (id === undefined && destination === undefined) {
    throw new ProtocolError('Must specify the subscriptionId or the destination you are unsubscribing from');
  }
  const sub = id !== undefined ? ctx.subscriptions.get(id) : findByDestination(destination!, ctx);
  const durableName = h.get('activemq.subscriptionName');
  if (sub === undefined && durableName === undefined) throw new ProtocolError('No subscription matched.');
  const session = ctx.session;
  if (sub !== undefined) {
    // Deliveries the core hands over until it has closed the consumer still reach the client.
    if (sub.consumerId !== undefined) await session.unsubscribe(sub.consumerId);
    ctx.subscriptions.remove(sub);
  }
  if (durableName !== undefined) await session.removeDurable(durableName);
  ctx.receipt(frame);
}

/** 1.0: the first subscription to that destination (ActiveMQ). */
function findByDestination(destination: string, ctx: StompContext): Subscription | undefined {
  const address = ctx.destinations.resolve(destination, true);
  for (const sub of ctx.subscriptions.all()) {
    if (sub.address.name === address.name && sub.address.routing === address.routing) return sub;
  }
  return undefined;
}
