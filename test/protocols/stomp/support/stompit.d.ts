/** The parts of stompit (which ships no types) that the interop tests use. */
declare module 'stompit' {
  import type { EventEmitter } from 'node:events';
  import type { Readable, Writable } from 'node:stream';

  export type Headers = Record<string, string | number>;

  export interface IncomingMessage extends Readable {
    readonly command: string;
    readonly headers: Record<string, string>;
    readString(encoding: string, callback: (error: Error | null, body?: string) => void): void;
  }

  export interface SendOptions {
    onReceipt?: () => void;
    onError?: (error: Error) => void;
  }

  export interface Subscription {
    getId(): string | number;
    unsubscribe(headers?: Headers): void;
  }

  export interface Transaction {
    readonly id: string | number;
    send(headers: Headers | string, options?: SendOptions): Writable;
    commit(options?: SendOptions): void;
    abort(options?: SendOptions): void;
  }

  export interface Client extends EventEmitter {
    readonly headers: Record<string, string>;
    send(headers: Headers | string, options?: SendOptions): Writable;
    sendFrame(command: string, headers: Headers, options?: SendOptions): Writable;
    subscribe(headers: Headers, listener: (error: Error | null, message: IncomingMessage) => void): Subscription;
    ack(message: IncomingMessage, headers?: Headers, options?: SendOptions): void;
    nack(message: IncomingMessage, headers?: Headers, options?: SendOptions): void;
    begin(headers?: Headers | string): Transaction;
    disconnect(callback?: (error: Error | null) => void): void;
    destroy(error?: Error): void;
  }

  export interface ConnectOptions {
    host?: string;
    port?: number;
    ssl?: boolean;
    ca?: string;
    servername?: string;
    timeout?: number;
    connectHeaders?: Headers;
    heartbeatDelayMargin?: number;
    heartbeatOutputMargin?: number;
  }

  export function connect(options: ConnectOptions, callback: (error: Error | null, client: Client) => void): Client;
}
