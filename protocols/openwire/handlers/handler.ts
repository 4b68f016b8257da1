import { BrokerError, type CoreSession } from '../../../src/spi/index.js';
import type { OpenWireConnection } from '../connection.js';

/** A handler returns when done (the connection answers), a promise, or RESPONDED when it answers itself. */
export const RESPONDED = Symbol('responded');
export type HandlerResult = void | Promise<void> | typeof RESPONDED;

/** A command's frame as received: its bytes (type byte on), and for a loose v12 message where its fields end. */
export interface InboundFrame {
  readonly bytes: Buffer;
  readonly fieldEnds: Record<string, number> | undefined;
}

/** The core session of a connected connection; commands before ConnectionInfo are refused. */
export function requireSession(c: OpenWireConnection): CoreSession {
  if (c.state !== 'connected' || !c.session) throw new BrokerError('SESSION_CLOSED', 'the connection is not connected (no ConnectionInfo)');
  return c.session;
}
