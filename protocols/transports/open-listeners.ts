import { ConnectionLimiter } from './connection-limiter.js';
import type { ListenerContext, ListenerSpec, RunningListener, TransportOptions } from './listener-spec.js';
import { listenSocket } from './socket-listener.js';
import { listenWebSocket } from './web-socket-listener.js';

export interface ListenerSet {
  readonly listeners: readonly RunningListener[];
  /** Open connections over all listeners (the count the limit applies to). */
  readonly connectionCount: number;
  /** Stops accepting on every listener; resolves when all servers are closed. */
  close(): Promise<void>;
}

/**
 * Opens the listeners one by one under one shared connection limit. If one cannot open, those
 * already open are closed and the error is thrown.
 */
export async function openListeners(specs: readonly ListenerSpec[], options: TransportOptions): Promise<ListenerSet> {
  const context: ListenerContext = { ...options, limiter: new ConnectionLimiter(options.maxConnections) };
  const listeners: RunningListener[] = [];
  try {
    for (const spec of specs) {
      const listen = spec.transport === 'tcp' || spec.transport === 'tls' ? listenSocket : listenWebSocket;
      listeners.push(await listen(spec, context));
    }
  } catch (e) {
    await Promise.all(listeners.map((l) => l.close()));
    throw e;
  }
  let closing: Promise<void> | undefined;
  return {
    listeners,
    get connectionCount() {
      return context.limiter.count;
    },
    close() {
      closing ??= Promise.all(listeners.map((l) => l.close())).then(() => undefined);
      return closing;
    },
  };
}
