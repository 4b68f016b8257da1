import { createServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { DEFAULT_CLOSE_GRACE_MS, handOver, requireTls, type ListenerContext, type ListenerSpec, type RunningListener } from './listener-spec.js';
import { SocketConnection } from './socket-connection.js';
import { startServer } from './start-server.js';

/** A TCP or TLS listener serving one adapter. */
export async function listenSocket(spec: ListenerSpec, context: ListenerContext): Promise<RunningListener> {
  const adapter = spec.adapters[0];
  if (spec.adapters.length !== 1 || !adapter) throw new Error(`the ${spec.name} listener needs exactly one adapter`);
  const logger = context.logger.child({ listener: spec.name });
  const accept = (socket: Socket, transport: 'tcp' | 'tls'): void => {
    const connection = new SocketConnection(socket, transport, context.writeHighWaterMarkBytes);
    logger.debug({ remoteAddress: connection.remoteAddress }, 'connection accepted');
    handOver(adapter, connection, logger);
  };

  let onAdmitted: ((socket: Socket) => void) | undefined;
  let server;
  if (spec.transport === 'tcp') {
    server = createServer({ noDelay: true });
    onAdmitted = (socket) => accept(socket, 'tcp');
  } else if (spec.transport === 'tls') {
    server = createTlsServer({ ...requireTls(spec, context), noDelay: true });
    server.on('secureConnection', (socket: TLSSocket) => accept(socket, 'tls'));
    server.on('tlsClientError', (err, socket) => logger.debug({ err, remoteAddress: socket.remoteAddress }, 'TLS handshake failed'));
  } else {
    throw new Error(`listenSocket cannot serve ${spec.transport}`);
  }
  const started = await startServer(server, { ...spec, limiter: context.limiter, logger, onAdmitted });
  const graceMs = context.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
  return { name: spec.name, transport: spec.transport, host: spec.host, port: started.port, close: () => started.close(graceMs) };
}
