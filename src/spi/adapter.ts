import type { Logger } from 'pino';
import type { Core } from './core.js';

/**
 * What a transport (TCP, TLS, WebSocket, WSS) hands to a protocol adapter: a byte stream with
 * backpressure, free of transport types. Over WebSocket, each write is one WebSocket message
 * (text for a string, binary for bytes) and each received message arrives as one data chunk.
 */
export interface TransportConnection {
  readonly transport: 'tcp' | 'tls' | 'ws' | 'wss';
  readonly remoteAddress: string;
  /** The negotiated WebSocket subprotocol, if any. */
  readonly subprotocol?: string;
  /** Writes; returns false once the write buffer is above its high-water mark (wait for drain). */
  write(data: Uint8Array | string): boolean;
  /** Bytes queued for writing and not yet flushed. */
  readonly bufferedBytes: number;
  onData(listener: (chunk: Buffer) => void): void;
  onDrain(listener: () => void): void;
  /** Called once, when the connection is gone for whatever reason. */
  onClose(listener: (error?: Error) => void): void;
  /** Stops / restarts reading (inbound backpressure). */
  pause(): void;
  resume(): void;
  /** Flushes what is written, then closes. */
  end(): void;
  /** Closes at once. */
  destroy(): void;
}

export interface AdapterContext {
  core: Core;
  logger: Logger;
  /** The adapter's own section of the broker configuration. */
  config: Record<string, unknown>;
}

export interface ProtocolAdapter {
  /** 'stomp', 'mqtt', 'amqp', 'openwire'. */
  readonly name: string;
  /** WebSocket subprotocols this adapter serves, e.g. ['v12.stomp', 'v11.stomp', 'v10.stomp']. */
  readonly webSocketProtocols: readonly string[];
  /** Takes ownership of a new connection. */
  accept(connection: TransportConnection): void;
  /** Number of open connections. */
  readonly connectionCount: number;
  /** Closes every connection (broker shutdown or step-down to standby). */
  close(): Promise<void>;
}

export type AdapterFactory = (context: AdapterContext) => ProtocolAdapter;
