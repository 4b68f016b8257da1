import type { AddressInfo, Server, Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ConnectionLimiter } from './connection-limiter.js';

export interface ServerOptions {
  /** Listener name for messages, e.g. `stomp-tcp`. */
  name: string;
  host: string;
  port: number;
  limiter: ConnectionLimiter;
  logger: Logger;
  /** Called with each admitted raw socket (TCP listeners wrap it here). */
  onAdmitted?: (socket: Socket) => void;
}

export interface StartedServer {
  /** The bound port (the actual one when 0 was asked for). */
  port: number;
  /**
   * Stops accepting at once; resolves when every connection is gone. Connections still open
   * after `graceMs` are destroyed.
   */
  close(graceMs: number): Promise<void>;
}

/**
 * Listens with any net.Server (plain, TLS, HTTP, HTTPS): admits raw connections against the
 * global limit (closing the excess at once), tracks them, and closes with a grace period.
 */
export async function startServer(server: Server, options: ServerOptions): Promise<StartedServer> {
  const { name, host, limiter, logger } = options;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    if (!limiter.tryAcquire()) {
      logger.debug({ listener: name, remoteAddress: socket.remoteAddress, maxConnections: limiter.max }, 'connection refused: limit reached');
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      limiter.release();
    });
    options.onAdmitted?.(socket);
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => reject(new Error(`cannot open the ${name} listener on ${host}:${options.port}: ${e.message}`));
    server.once('error', onError);
    server.listen({ host, port: options.port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => logger.warn({ listener: name, err }, 'listener error'));

  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close(graceMs) {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => sockets.forEach((s) => s.destroy()), graceMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return closing;
    },
  };
}
