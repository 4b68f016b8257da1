import { WebSocket, type RawData } from 'ws';
import type { TransportConnection } from '../../src/spi/index.js';
import { ConnectionEvents } from './connection-events.js';

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/**
 * A WebSocket as a TransportConnection: each write is one message (a string as text, bytes as
 * binary) and each received message, text or binary, arrives as one Buffer.
 */
export class WebSocketConnection implements TransportConnection {
  private readonly events = new ConnectionEvents();

  constructor(
    private readonly ws: WebSocket,
    readonly transport: 'ws' | 'wss',
    readonly remoteAddress: string,
    readonly subprotocol: string | undefined,
    private readonly highWaterMarkBytes: number,
  ) {
    let error: Error | undefined;
    ws.on('error', (e) => (error = e));
    ws.once('close', () => this.events.close(error));
  }

  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  write(data: Uint8Array | string): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(data, { binary: typeof data !== 'string' }, this.afterSend);
    return this.events.wrote(this.ws.bufferedAmount >= this.highWaterMarkBytes);
  }

  /** ws has no drain event: each send's completion checks whether the buffer went below the mark. */
  private readonly afterSend = (error?: Error): void => {
    if (!error && this.ws.bufferedAmount < this.highWaterMarkBytes) this.events.drained();
  };

  onData(listener: (chunk: Buffer) => void): void {
    this.ws.on('message', (data) => listener(toBuffer(data)));
  }

  onDrain(listener: () => void): void {
    this.events.onDrain(listener);
  }

  onClose(listener: (error?: Error) => void): void {
    this.events.onClose(listener);
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  /** Starts the closing handshake (1000, normal closure) after what is queued. */
  end(): void {
    this.ws.close(1000);
  }

  destroy(): void {
    this.ws.terminate();
  }
}
