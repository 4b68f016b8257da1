import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestBroker } from '../../helpers/broker.js';
import { startAmqpBroker } from './support/broker.js';
import { closeConnection, connect, detachLink, filter, openReceiver, openSender, receive, receiveFor, send, whenSendable } from './support/client.js';

/** Durable state across a broker restart on the same journal: durable subscriptions and their messages. */

let dataDir: string;
let broker: TestBroker | undefined;

const start = (): Promise<TestBroker> => startAmqpBroker({ dataDir, store: { kind: 'journal' } });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'wharf-amqp-restart-'));
});

afterAll(async () => {
  await broker?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

it('keeps a durable subscription, its selector and its persistent messages across a restart', async () => {
  broker = await start();
  const topic = 'topic://restart.news';
  const source = { address: topic, durable: 2, expiry_policy: 'never', filter: filter.selector("region = 'eu'") };
  let c = await connect(broker.ports.amqp!.tcp!, { id: 'restart-client' });
  await detachLink(await openReceiver(c, { name: 'restart-sub', source }));
  const sender = await openSender(c, topic);
  await whenSendable(sender);
  await send(sender, { body: 'kept', durable: true, application_properties: { region: 'eu' } });
  await send(sender, { body: 'not durable', durable: false, application_properties: { region: 'eu' } });
  await send(sender, { body: 'not selected', durable: true, application_properties: { region: 'us' } });
  await closeConnection(c);
  await broker.stop();

  broker = await start();
  const port = broker.ports.amqp!.tcp!;
  c = await connect(port, { id: 'restart-client' });
  // Looked up by name (as Qpid JMS does): the source and its selector come back from the adapter state.
  const sub = await openReceiver(c, { name: 'restart-sub', source: undefined } as never);
  expect(sub.source.address).toBe(topic);
  expect(Object.keys((sub.source as unknown as { filter: object }).filter)).toEqual(['jms-selector']);
  expect((await receive(sub, 1))[0]!.message.body).toBe('kept');

  const p = await connect(port);
  const after = await openSender(p, topic);
  await whenSendable(after);
  const later = receiveFor(sub, 300);
  await send(after, { body: 'us again', durable: true, application_properties: { region: 'us' } });
  await send(after, { body: 'eu again', durable: true, application_properties: { region: 'eu' } });
  expect((await later).map((r) => r.message.body)).toEqual(['eu again']);
  await closeConnection(p);
  await closeConnection(c);
});

it('keeps an accepted durable queue message across a restart, and only that', async () => {
  broker ??= await start();
  let c = await connect(broker.ports.amqp!.tcp!);
  const q = 'queue://restart.orders';
  const sender = await openSender(c, q);
  await whenSendable(sender);
  expect((await send(sender, { body: 'order-1', durable: true, message_id: 'o-1' })).outcome).toBe('accepted');
  await send(sender, { body: 'transient', durable: false });
  await closeConnection(c);
  await broker.stop();

  broker = await start();
  c = await connect(broker.ports.amqp!.tcp!);
  const receiver = await openReceiver(c, q);
  const got = await receive(receiver, 1);
  expect(got[0]!.message.body).toBe('order-1');
  expect(got[0]!.message.message_id).toBe('o-1');
  expect(await receiveFor(receiver, 200)).toEqual([]);
  await closeConnection(c);
});
