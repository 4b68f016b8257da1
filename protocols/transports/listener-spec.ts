import type { Logger } from 'pino';
import type { ProtocolAdapter, TransportConnection } from '../../src/spi/index.js';
import type { ConnectionLimiter } from './connection-limiter.js';

export type TransportKind = TransportConnection['transport'];

/** One listener to open. */
export interface ListenerSpec {
  /** e.g. `stomp-tcp`, `ws`. */
  name: string;
  transport: TransportKind;
  host: string;
  port: number;
  /** Exactly one for TCP and TLS; one or more, chosen by subprotocol, for WS and WSS. */
  adapters: readonly ProtocolAdapter[];
}

export interface TransportOptions {
  logger: Logger;
  /** Open connections over all listeners of the set; more are closed at once. */
  maxConnections: number;
  /** A connection's write() returns false once this many bytes are queued. */
  writeHighWaterMarkBytes: number;
  /** Larger WebSocket messages close the connection (1009). */
  maxWebSocketMessageBytes: number;
  /** Certificate and key, PEM; required for TLS and WSS listeners. */
  tls?: { cert: string; key: string };
  /** How long close() lets connections finish before destroying them (default 5000). */
  closeGraceMs?: number;
}

/** What a listener needs besides its spec. */
export interface ListenerContext extends TransportOptions {
  limiter: ConnectionLimiter;
}

export interface RunningListener {
  readonly name: string;
  readonly transport: TransportKind;
  readonly host: string;
  /** The bound port (the actual one when 0 was asked for). */
  readonly port: number;
  /** Stops accepting; resolves when the server is closed (lingering connections destroyed after the grace). */
  close(): Promise<void>;
}

export const DEFAULT_CLOSE_GRACE_MS = 5000;

/** Hands a connection to an adapter; an adapter that throws loses the connection, not the listener. */
export function handOver(adapter: ProtocolAdapter, connection: TransportConnection, logger: Logger): void {
  try {
    adapter.accept(connection);
  } catch (err) {
    logger.error({ err, adapter: adapter.name }, 'adapter failed to accept a connection');
    connection.destroy();
  }
}

export function requireTls(spec: ListenerSpec, context: ListenerContext): { cert: string; key: string } {
  if (!context.tls) throw new Error(`the ${spec.name} listener needs a TLS certificate and key`);
  return context.tls;
}
