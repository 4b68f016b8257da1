import type { EventContext } from 'rhea';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestBroker } from '../../helpers/broker.js';
import { startAmqpBroker } from './support/broker.js';
import { closeConnection, connect, openSender, whenSendable } from './support/client.js';

/** Producer flow control: the broker withholds link credit while the core holds sends back. */

const LIMIT = 64 * 1024;
const MESSAGES = 3000;
let broker: TestBroker;

beforeAll(async () => {
  broker = await startAmqpBroker({ core: { memoryLimitBytes: LIMIT } });
});

afterAll(async () => {
  await broker?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

it('stops granting credit while memory is full, and resumes once consumers make room', { timeout: 60_000 }, async () => {
  const producer = await connect(broker.ports.amqp!.tcp!);
  const q = 'queue://flow-control';
  const sender = await openSender(producer, q);
  await whenSendable(sender);
  const body = Buffer.alloc(1024, 1);
  let accepted = 0;
  sender.on('accepted', () => accepted++);
  // Far more than memory holds, and more than one credit window: sends as long as credit lasts.
  let sent = 0;
  const pump = (): void => {
    while (sender.sendable() && sent < MESSAGES) {
      sender.send({ body });
      sent++;
    }
  };
  sender.on('sendable', pump);
  pump();
  await sleep(500);
  const stalledAt = sent;
  expect(accepted).toBeLessThan(stalledAt);
  expect(accepted * body.length).toBeLessThan(2 * LIMIT);
  expect((sender as unknown as { credit: number }).credit).toBe(0);
  await sleep(300);
  expect(sent).toBe(stalledAt);

  // A consumer takes messages away: sends complete, credit comes back, everything gets through.
  const consumer = await connect(broker.ports.amqp!.tcp!);
  let received = 0;
  const receiver = consumer.open_receiver({ source: q, credit_window: 500 });
  receiver.on('message', (_c: EventContext) => received++);
  for (let waited = 0; received < MESSAGES && waited < 40_000; waited += 50) await sleep(50);
  const state = { sent, accepted, received, core: broker.core.stats().destinations.filter((d) => d.name === 'flow-control') };
  expect(state).toMatchObject({ sent: MESSAGES, accepted: MESSAGES, received: MESSAGES });
  await closeConnection(consumer);
  await closeConnection(producer);
});
