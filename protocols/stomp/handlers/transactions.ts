import type { TxId } from '../../../src/spi/index.js';
import type { InboundFrame } from '../codec/frame.js';
import { ProtocolError } from '../errors.js';
import type { StompContext } from './context.js';

/** The core transaction a frame's `transaction` header names; unknown names are an error. */
export function transactionOf(frame: InboundFrame, ctx: StompContext): TxId | undefined {
  const name = frame.headers.get('transaction');
  if (name === undefined) return undefined;
  const tx = ctx.transactions.get(name);
  if (tx === undefined) throw new ProtocolError(`Invalid transaction id: ${name}`);
  return tx;
}

/** The `transaction` header, required (BEGIN, COMMIT, ABORT). */
export function requiredTransactionName(frame: InboundFrame, action: string): string {
  const name = frame.headers.get('transaction');
  if (name === undefined) throw new ProtocolError(`Must specify the transaction you are ${action}`);
  return name;
}

/**
 * COMMIT and ABORT: the named transaction is forgotten at once (as ActiveMQ), then ended once its
 * earlier sends and acknowledgements have reached the core.
 */
export async function endTransaction(frame: InboundFrame, ctx: StompContext, outcome: 'commit' | 'rollback'): Promise<void> {
  const name = requiredTransactionName(frame, outcome === 'commit' ? 'committing' : 'aborting');
  const tx = transactionOf(frame, ctx)!;
  ctx.transactions.delete(name);
  await ctx.settled();
  await (outcome === 'commit' ? ctx.session.commit(tx) : ctx.session.rollback(tx));
  ctx.receipt(frame);
}
