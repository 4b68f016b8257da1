import { afterEach, describe, expect, it } from 'vitest';
import { useStompBroker } from '../protocols/stomp/support/fixture.js';
import { StompitClient } from '../protocols/stomp/support/stompit-client.js';

/** POST /api/redrive: dead-lettered messages back to where they were sent, over a real broker and client. */
const stomp = useStompBroker();

const clients: StompitClient[] = [];
const open = async (): Promise<StompitClient> => {
  const c = await StompitClient.connect({ port: stomp.tcpPort, connectHeaders: { host: 'localhost' } });
  c.client.on('error', () => undefined); // a test that failed half-way leaves it to afterEach
  clients.push(c);
  return c;
};
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.disconnect()));
});

const redrive = async (query: string): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(`${stomp.broker.adminUrl}/api/redrive?${query}`, { method: 'POST' });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('POST /api/redrive', () => {
  it('moves dead-lettered messages back to their queue, without the dead-letter marks', async () => {
    const q = stomp.name('orders');
    const dlq = stomp.name('dlq');
    const back = stomp.name('back');
    const c = await open();
    const sub = await c.subscribe({ destination: `/queue/${q}`, ack: 'client-individual' });
    for (const body of ['a', 'b', 'c']) await c.send({ destination: `/queue/${q}`, persistent: 'true' }, body);
    for (const m of await sub.next(3)) await c.nack(m); // poison: straight to ActiveMQ.DLQ
    sub.subscription.unsubscribe();
    await c.barrier();
    // Park them in a DLQ of this test's own, so that other tests' dead letters do not interfere.
    expect((await redrive(`from=ActiveMQ.DLQ&to=${dlq}`)).body).toMatchObject({ moved: 3, failed: 0 });
    expect((await redrive(`from=${dlq}&max=2&to=${back}`)).body).toEqual({ moved: 2, failed: 0, left: 1 });
    const again = await c.subscribe({ destination: `/queue/${back}`, ack: 'client-individual' });
    const moved = await again.next(2);
    expect(moved.map((m) => m.body)).toEqual(['a', 'b']);
    expect(moved[0]!.headers['dlqDeliveryFailureCause']).toBeUndefined();
    expect(moved[0]!.headers['redelivered']).toBeUndefined();
  });

  it('sends each message back to its original destination when no `to` is given', async () => {
    const q = stomp.name('orig');
    const c = await open();
    const sub = await c.subscribe({ destination: `/queue/${q}`, ack: 'client-individual' });
    await c.send({ destination: `/queue/${q}`, persistent: 'true', tag: q }, 'x');
    await c.nack((await sub.next())[0]!);
    sub.subscription.unsubscribe();
    await c.barrier();
    const res = await redrive('from=ActiveMQ.DLQ');
    expect(res.status).toBe(200);
    const again = await c.subscribe({ destination: `/queue/${q}` });
    expect((await again.next())[0]!.body).toBe('x');
  });

  it('answers bad requests with 400 and GET with 405', async () => {
    expect((await redrive('')).status).toBe(400);
    expect((await redrive('from=no.such.queue')).status).toBe(400);
    expect((await redrive('from=ActiveMQ.DLQ&max=lots')).status).toBe(400);
    expect((await fetch(`${stomp.broker.adminUrl}/api/redrive?from=x`)).status).toBe(405);
  });
});
