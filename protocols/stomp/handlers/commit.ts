import type { InboundFrame } from '../codec/frame.js';
import type { StompContext } from './context.js';
import { endTransaction } from './transactions.js';

/** COMMIT: the transaction's sends are routed and its acknowledgements take effect, atomically. */
export function commit(frame: InboundFrame, ctx: StompContext): Promise<void> {
  return endTransaction(frame, ctx, 'commit');
}
