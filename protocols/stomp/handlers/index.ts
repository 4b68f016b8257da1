import type { InboundFrame } from '../codec/frame.js';
import { ProtocolError } from '../errors.js';
import { abort } from './abort.js';
import { ack } from './ack.js';
import { begin } from './begin.js';
import { commit } from './commit.js';
import { connect } from './connect.js';
import type { FrameHandler, StompContext } from './context.js';
import { disconnect } from './disconnect.js';
import { nack } from './nack.js';
import { send } from './send.js';
import { subscribe } from './subscribe.js';
import { unsubscribe } from './unsubscribe.js';

/** Client frames and their handlers. Server frames (CONNECTED, MESSAGE, ...) are unknown here. */
const HANDLERS: ReadonlyMap<string, FrameHandler> = new Map<string, FrameHandler>([
  ['CONNECT', connect],
  ['STOMP', connect],
  ['SEND', send],
  ['SUBSCRIBE', subscribe],
  ['UNSUBSCRIBE', unsubscribe],
  ['ACK', ack],
  ['NACK', nack],
  ['BEGIN', begin],
  ['COMMIT', commit],
  ['ABORT', abort],
  ['DISCONNECT', disconnect],
]);

export function isConnectFrame(frame: { command: string }): boolean {
  return HANDLERS.get(frame.command) === connect;
}

export type DispatchPhase = 'awaiting-connect' | 'connected';

/**
 * Runs a frame's handler after the connection-state rules: CONNECT / STOMP only first, every other
 * frame only after it (ActiveMQ: "Not connected." / "Already connected.").
 */
export function dispatch(frame: InboundFrame, ctx: StompContext, phase: DispatchPhase): void | Promise<void> {
  const handler = HANDLERS.get(frame.command);
  if (handler === undefined) throw new ProtocolError(`Unknown STOMP action: ${printable(frame.command)}`);
  const isConnect = handler === connect;
  if (phase === 'awaiting-connect' && !isConnect) throw new ProtocolError(`Not connected. Expected CONNECT or STOMP, got ${frame.command}`);
  if (phase === 'connected' && isConnect) throw new ProtocolError('Already connected.');
  return handler(frame, ctx);
}

function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 32 ? `${clean.slice(0, 32)}...` : clean;
}
