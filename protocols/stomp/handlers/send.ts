import { BrokerError } from '../../../src/spi/index.js';
import type { InboundFrame } from '../codec/frame.js';
import { ProtocolError } from '../errors.js';
import { messageFromFrame } from '../mapping.js';
import type { StompContext } from './context.js';
import { transactionOf } from './transactions.js';

/**
 * SEND: map the destination and headers, hand the message to the core and answer the RECEIPT
 * only once the core says it is safe (durable when persistent). Frames behind it are not held up.
 */
export function send(frame: InboundFrame, ctx: StompContext): void {
  const destination = frame.headers.get('destination');
  if (destination === undefined) throw new ProtocolError('SEND received without a Destination specified!');
  const tx = transactionOf(frame, ctx);
  if (frame.body.length > ctx.config.maxMessageBytes) {
    throw new BrokerError('MESSAGE_TOO_LARGE', `message body of ${frame.body.length} bytes exceeds maxMessageBytes (${ctx.config.maxMessageBytes})`);
  }
  const to = ctx.destinations.resolve(destination, true);
  const message = messageFromFrame(frame, ctx.destinations);
  const session = ctx.session;
  ctx.track(frame, () => session.send(to, message, tx));
}
