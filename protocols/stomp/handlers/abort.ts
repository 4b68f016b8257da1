import type { InboundFrame } from '../codec/frame.js';
import type { StompContext } from './context.js';
import { endTransaction } from './transactions.js';

/**
 * ABORT: the transaction's sends are dropped; messages it acknowledged are redelivered by the core
 * (counted as a failed attempt). ActiveMQ instead keeps them dispatched and makes their ack ids
 * valid again; redelivery is what the core's JMS-style rollback offers.
 */
export function abort(frame: InboundFrame, ctx: StompContext): Promise<void> {
  return endTransaction(frame, ctx, 'rollback');
}
