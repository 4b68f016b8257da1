import type { InboundFrame } from '../codec/frame.js';
import { ProtocolError } from '../errors.js';
import type { PendingDelivery } from '../subscriptions.js';
import type { StompContext } from './context.js';

/**
 * The delivery an ACK or NACK names, per version (ActiveMQ's onStompAck / onStompNack):
 * 1.2 by `id` (the MESSAGE's `ack` header); 1.1 by `message-id` and `subscription`;
 * 1.0 by `message-id` alone (first subscription holding it). Unknown ids are an error.
 */
export function acknowledgedDelivery(frame: InboundFrame, ctx: StompContext, command: 'ACK' | 'NACK'): PendingDelivery {
  const h = frame.headers;
  const messageId = h.get('message-id');
  const subscriptionId = h.get('subscription');
  let found: PendingDelivery | undefined;
  switch (ctx.version) {
    case '1.2': {
      const ackId = h.get('id');
      if (ackId === undefined) throw new ProtocolError(`${command} received without an ack header to acknowledge!`);
      found = ctx.subscriptions.byAck(ackId);
      if (found === undefined) throw new ProtocolError(`Unexpected ${command} received for ack id [${ackId}]`);
      return found;
    }
    case '1.1':
      if (subscriptionId === undefined) throw new ProtocolError(`${command} received without a subscription id for acknowledge!`);
      if (messageId === undefined) throw new ProtocolError(`${command} received without a message-id to acknowledge!`);
      found = ctx.subscriptions.get(subscriptionId)?.pending.get(messageId);
      break;
    case '1.0':
      if (messageId === undefined) throw new ProtocolError(`${command} received without a message-id to acknowledge!`);
      found = subscriptionId !== undefined
        ? ctx.subscriptions.get(subscriptionId)?.pending.get(messageId)
        : ctx.subscriptions.byMessageId(messageId);
      break;
  }
  if (found === undefined) throw new ProtocolError(`Unexpected ${command} received for message-id [${messageId}]`);
  return found;
}
