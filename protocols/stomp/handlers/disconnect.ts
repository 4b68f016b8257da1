import type { InboundFrame } from '../codec/frame.js';
import type { StompContext } from './context.js';

/** DISCONNECT: once every earlier operation is answered, RECEIPT (if asked), flush and close. */
export async function disconnect(frame: InboundFrame, ctx: StompContext): Promise<void> {
  await ctx.settled();
  ctx.disconnect(frame);
}
