import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { ProtocolAdapter } from '../../src/spi/index.js';
import { DEFAULT_CLOSE_GRACE_MS, handOver, requireTls, type ListenerContext, type ListenerSpec, type RunningListener } from './listener-spec.js';
import { parseSubprotocols, selectWebSocketAdapter, type WebSocketChoice } from './select-web-socket-adapter.js';
import { startServer } from './start-server.js';
import { WebSocketConnection } from './web-socket-connection.js';

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
  socket.destroy();
}

function refuseRequest(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' }).end('This port serves WebSocket only.\n');
}

/**
 * A WebSocket (WS) or secure WebSocket (WSS) listener serving several adapters, each chosen by
 * the client's `Sec-WebSocket-Protocol` (see selectWebSocketAdapter). A client offering no
 * known subprotocol to a listener of several adapters is refused with 400.
 */
export async function listenWebSocket(spec: ListenerSpec, context: ListenerContext): Promise<RunningListener> {
  if (spec.transport !== 'ws' && spec.transport !== 'wss') throw new Error(`listenWebSocket cannot serve ${spec.transport}`);
  const transport = spec.transport;
  const logger = context.logger.child({ listener: spec.name });
  const server = transport === 'wss' ? createHttpsServer(requireTls(spec, context)) : createServer();
  if (transport === 'wss') server.on('tlsClientError', (err, socket) => logger.debug({ err, remoteAddress: socket.remoteAddress }, 'TLS handshake failed'));

  const choices = new WeakMap<IncomingMessage, WebSocketChoice<ProtocolAdapter>>();
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: context.maxWebSocketMessageBytes,
    handleProtocols: (_offered, req) => choices.get(req)?.protocol ?? false,
  });
  const known = spec.adapters.flatMap((a) => a.webSocketProtocols).join(', ');

  server.on('request', refuseRequest);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const choice = selectWebSocketAdapter(parseSubprotocols(req.headers['sec-websocket-protocol']), spec.adapters);
    const remoteAddress = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    if (!choice) {
      logger.debug({ remoteAddress, offered: req.headers['sec-websocket-protocol'] }, 'WebSocket refused: no supported subprotocol');
      refuseUpgrade(socket, 400, `Offer one of these WebSocket subprotocols: ${known}\n`);
      return;
    }
    choices.set(req, choice);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = new WebSocketConnection(ws, transport, remoteAddress, choice.protocol, context.writeHighWaterMarkBytes);
      logger.debug({ remoteAddress, adapter: choice.adapter.name, subprotocol: choice.protocol }, 'WebSocket accepted');
      handOver(choice.adapter, connection, logger);
    });
  });

  const started = await startServer(server, { ...spec, limiter: context.limiter, logger });
  const graceMs = context.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
  return {
    name: spec.name,
    transport,
    host: spec.host,
    port: started.port,
    close: async () => {
      const closed = started.close(graceMs);
      wss.close();
      await closed;
    },
  };
}
