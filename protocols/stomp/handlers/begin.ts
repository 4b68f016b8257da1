import type { InboundFrame } from '../codec/frame.js';
import { ProtocolError } from '../errors.js';
import type { StompContext } from './context.js';
import { requiredTransactionName } from './transactions.js';

/** BEGIN: a named transaction for later SEND / ACK / NACK frames. */
export function begin(frame: InboundFrame, ctx: StompContext): void {
  const name = requiredTransactionName(frame, 'beginning');
  if (ctx.transactions.has(name)) throw new ProtocolError(`The transaction was already started: ${name}`);
  ctx.transactions.set(name, ctx.session.begin());
  ctx.receipt(frame);
}
