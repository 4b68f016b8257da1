import type { Connection, ConnectionOptions } from 'rhea';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBroker } from '../../helpers/broker.js';
import { startAmqpBroker } from './support/broker.js';
import { closeConnection, opened, openReceiver, openSender, receive, rhea, send, whenSendable } from './support/client.js';

let broker: TestBroker;

beforeAll(async () => {
  broker = await startAmqpBroker();
});

afterAll(async () => {
  await broker?.stop();
});

async function roundTrip(c: Connection, label: string): Promise<void> {
  const q = `queue://transport.${label}.${process.pid}`;
  const sender = await openSender(c, q);
  await whenSendable(sender);
  const receiver = await openReceiver(c, q);
  const got = receive(receiver, 2);
  // The second one spans several frames and WebSocket messages.
  await send(sender, { body: `over ${label}`, durable: true });
  await send(sender, { body: Buffer.alloc(200_000, 7) as never });
  const [small, large] = await got;
  expect(small!.message.body).toBe(`over ${label}`);
  expect((large!.message.body as Buffer).length).toBe(200_000);
  await closeConnection(c);
}

function connectWith(options: Record<string, unknown>): Promise<Connection> {
  const container = rhea.create_container({ id: `transport-${Math.random()}` });
  container.on('error', () => undefined);
  return opened(container.connect({ reconnect: false, ...options } as ConnectionOptions));
}

describe('transports', () => {
  it('serves AMQP over TLS', async () => {
    const c = await connectWith({ host: '127.0.0.1', port: broker.ports.amqp!.tls!, transport: 'tls', ca: broker.tlsCa, servername: 'localhost' });
    await roundTrip(c, 'tls');
  });

  it('serves AMQP over WebSocket with the amqp subprotocol', async () => {
    const ws = rhea.websocket_connect(WebSocket as never);
    const c = await connectWith({ connection_details: ws(`ws://127.0.0.1:${broker.ports.amqp!.ws!}`, ['amqp'], {}) });
    await roundTrip(c, 'ws');
  });

  it('serves AMQP over secure WebSocket', async () => {
    const ws = rhea.websocket_connect(WebSocket as never);
    const c = await connectWith({ connection_details: ws(`wss://localhost:${broker.ports.amqp!.wss!}`, ['amqp'], { ca: broker.tlsCa }) });
    await roundTrip(c, 'wss');
  });
});
