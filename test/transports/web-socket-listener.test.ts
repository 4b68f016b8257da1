import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ListenerSet } from '../../protocols/transports/index.js';
import { EchoAdapter } from '../helpers/echo-adapter.js';
import { closed, connectWebSocket, nextMessage, open, portOf, testTls, waitFor } from './transport-fixture.js';

const STOMP_PROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp', 'stomp'];
const MQTT_PROTOCOLS = ['mqtt', 'mqttv3.1'];

/** Answers "who" with a text message naming itself and the subprotocol; echoes anything else as bytes. */
function namedEcho(name: string, webSocketProtocols: string[]): EchoAdapter {
  return new EchoAdapter({
    name,
    webSocketProtocols,
    reply: (chunk, c) => (chunk.toString() === 'who' ? `${name}:${c.subprotocol ?? '-'}` : chunk),
  });
}

let set: ListenerSet | undefined;
afterEach(async () => {
  await set?.close();
  set = undefined;
});

/** The HTTP status a WebSocket upgrade gets, or 101. */
function upgradeStatus(transport: 'ws' | 'wss', port: number, protocols?: string[]): Promise<number> {
  return testTls().then(({ cert }) => new Promise((resolve) => {
    const ws = new WebSocket(`${transport}://127.0.0.1:${port}/`, protocols, { ca: cert });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      resolve(101);
      ws.close();
    });
    ws.once('error', () => {});
  }));
}

describe.each(['ws', 'wss'] as const)('%s listener', (transport) => {
  it('carries text and binary messages both ways', async () => {
    const adapter = namedEcho('stomp', STOMP_PROTOCOLS);
    set = await open([{ name: 'l', transport, adapters: [adapter] }]);
    const ws = await connectWebSocket(transport, portOf(set, 'l'), ['v12.stomp']);

    // A text message arrives as a Buffer of its UTF-8; write(string) answers with a text message.
    let reply = nextMessage(ws);
    ws.send('who');
    expect(await reply).toEqual({ data: Buffer.from('stomp:v12.stomp'), isBinary: false });

    // Bytes go back as a binary message, unchanged.
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    reply = nextMessage(ws);
    ws.send(bytes);
    expect(await reply).toEqual({ data: bytes, isBinary: true });

    // UTF-8 text survives as its bytes.
    reply = nextMessage(ws);
    ws.send('héllo ✓');
    expect((await reply).data.toString('utf8')).toBe('héllo ✓');

    const conn = adapter.accepted[0]!;
    expect(conn.transport).toBe(transport);
    expect(conn.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    const gone = closed(ws);
    conn.end();
    await gone;
    await waitFor(() => adapter.open.size === 0);
  });

  it('serves several adapters, chosen by subprotocol', async () => {
    const stomp = namedEcho('stomp', STOMP_PROTOCOLS);
    const mqtt = namedEcho('mqtt', MQTT_PROTOCOLS);
    set = await open([{ name: 'l', transport, adapters: [stomp, mqtt] }]);
    const port = portOf(set, 'l');

    const ask = async (protocols: string[]): Promise<{ answer: string; protocol: string }> => {
      const ws = await connectWebSocket(transport, port, protocols);
      const reply = nextMessage(ws);
      ws.send('who');
      const answer = (await reply).data.toString();
      ws.close();
      return { answer, protocol: ws.protocol };
    };
    // stomp.js offers its versions lowest first: the highest one wins.
    expect(await ask(['v10.stomp', 'v11.stomp', 'v12.stomp'])).toEqual({ answer: 'stomp:v12.stomp', protocol: 'v12.stomp' });
    expect(await ask(['v10.stomp', 'v11.stomp'])).toEqual({ answer: 'stomp:v11.stomp', protocol: 'v11.stomp' });
    expect(await ask(['mqtt'])).toEqual({ answer: 'mqtt:mqtt', protocol: 'mqtt' });
    expect(await ask(['unknown', 'mqttv3.1'])).toEqual({ answer: 'mqtt:mqttv3.1', protocol: 'mqttv3.1' });

    // No known subprotocol with several adapters: refused with 400.
    expect(await upgradeStatus(transport, port, ['amqp'])).toBe(400);
    expect(await upgradeStatus(transport, port)).toBe(400);
    expect(stomp.accepted.length + mqtt.accepted.length).toBe(4);
  });

  it('gives a client without a known subprotocol to the only adapter', async () => {
    const adapter = namedEcho('stomp', STOMP_PROTOCOLS);
    set = await open([{ name: 'l', transport, adapters: [adapter] }]);
    const ws = await connectWebSocket(transport, portOf(set, 'l'));
    const reply = nextMessage(ws);
    ws.send('who');
    expect((await reply).data.toString()).toBe('stomp:-');
    expect(ws.protocol).toBe('');
    ws.close();
  });

  it('closes a connection whose message exceeds the maximum (1009)', async () => {
    const adapter = namedEcho('stomp', STOMP_PROTOCOLS);
    set = await open([{ name: 'l', transport, adapters: [adapter] }], { maxWebSocketMessageBytes: 4096 });
    const ws = await connectWebSocket(transport, portOf(set, 'l'), ['stomp']);
    const code = new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    ws.send(Buffer.alloc(4097));
    expect(await code).toBe(1009);
    await waitFor(() => adapter.open.size === 0);
  });
});

describe('ws listener', () => {
  it('write() returns false above the high-water mark and onDrain fires once flushed', async () => {
    const adapter = new EchoAdapter({ webSocketProtocols: ['stomp'], reply: () => undefined });
    set = await open([{ name: 'l', transport: 'ws', adapters: [adapter] }], { writeHighWaterMarkBytes: 64 * 1024 });
    const ws = await connectWebSocket('ws', portOf(set, 'l'), ['stomp']);
    await waitFor(() => adapter.accepted.length === 1);
    const server = adapter.accepted[0]!;
    let drained = 0;
    server.onDrain(() => drained++);
    let received = 0;
    ws.on('message', (d: Buffer) => (received += d.length));

    const chunk = Buffer.alloc(16 * 1024, 1);
    let written = 0;
    do written += chunk.length;
    while (server.write(chunk));
    expect(server.bufferedBytes).toBeGreaterThanOrEqual(64 * 1024);
    await waitFor(() => drained === 1 && received === written);
    ws.close();
  });

  it('pause() stops messages until resume()', async () => {
    const adapter = new EchoAdapter({ webSocketProtocols: ['stomp'] });
    set = await open([{ name: 'l', transport: 'ws', adapters: [adapter] }]);
    const ws = await connectWebSocket('ws', portOf(set, 'l'), ['stomp']);
    await waitFor(() => adapter.accepted.length === 1);
    adapter.accepted[0]!.pause();
    let echoed = 0;
    ws.on('message', () => echoed++);
    ws.send('a');
    await new Promise((r) => setTimeout(r, 100));
    expect(echoed).toBe(0);
    adapter.accepted[0]!.resume();
    await waitFor(() => echoed === 1);
    ws.close();
  });

  it('answers plain HTTP requests with 426', async () => {
    set = await open([{ name: 'l', transport: 'ws', adapters: [new EchoAdapter({ webSocketProtocols: ['stomp'] })] }]);
    const status = await new Promise<number>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port: portOf(set!, 'l'), path: '/' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject).end();
    });
    expect(status).toBe(426);
  });

  it('counts WebSocket connections against maxConnections', async () => {
    const adapter = new EchoAdapter({ webSocketProtocols: ['stomp'] });
    set = await open([{ name: 'l', transport: 'ws', adapters: [adapter] }], { maxConnections: 1 });
    const first = await connectWebSocket('ws', portOf(set, 'l'), ['stomp']);
    await expect(connectWebSocket('ws', portOf(set, 'l'), ['stomp'])).rejects.toThrow();
    expect(adapter.accepted).toHaveLength(1);
    first.close();
    await waitFor(() => set!.connectionCount === 0);
    const again = await connectWebSocket('ws', portOf(set, 'l'), ['stomp']);
    again.close();
  });
});
