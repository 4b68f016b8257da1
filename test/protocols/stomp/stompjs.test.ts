import { describe, expect, it } from 'vitest';
import { sleep, useStompBroker } from './support/fixture.js';
import { StompjsClient } from './support/stompjs-client.js';

/** Interop with @stomp/stompjs over WebSocket and secure WebSocket. */
const stomp = useStompBroker({ stomp: { heartbeatMinMs: 50 } });

const transports = [
  { name: 'WS', options: () => ({ url: `ws://127.0.0.1:${stomp.broker.ports.stomp!.ws}/` }) },
  { name: 'WSS', options: () => ({ url: `wss://127.0.0.1:${stomp.broker.ports.stomp!.wss}/`, ca: stomp.broker.tlsCa }) },
];

describe.each(transports)('@stomp/stompjs over $name', ({ options }) => {
  const open = (extra: { connectHeaders?: Record<string, string>; heartbeatMs?: number } = {}) =>
    StompjsClient.connect({ ...options(), ...extra });

  it('negotiates v12.stomp and round-trips text with headers', async () => {
    const c = await open();
    expect(c.protocol).toBe('v12.stomp');
    expect(c.client.connectedVersion).toBe('1.2');
    const q = stomp.name('q');
    const sub = await c.subscribe(`/queue/${q}`);
    await c.publish(`/queue/${q}`, 'hello wörld', { 'x-colon': 'a:b', priority: '9', persistent: 'true' });
    const [m] = await sub.next();
    expect(m!.body).toBe('hello wörld');
    expect(m!.headers).toMatchObject({ 'x-colon': 'a:b', priority: '9', persistent: 'true', destination: `/queue/${q}` });
    await c.disconnect();
  });

  it('round-trips a binary body with NULs', async () => {
    const c = await open();
    const q = stomp.name('q');
    const sub = await c.subscribe(`/queue/${q}`);
    const body = new Uint8Array([0, 255, 0, 1, 2, 0]);
    await c.publish(`/queue/${q}`, body);
    const [m] = await sub.next();
    expect(new Uint8Array(m!.binaryBody)).toEqual(body);
    expect(m!.headers['content-length']).toBe('6');
    await c.disconnect();
  });

  it('acks client-individual messages and dead-letters NACKed ones', async () => {
    const c = await open();
    const q = stomp.name('q');
    const tag = stomp.name('tag');
    const sub = await c.subscribe(`/queue/${q}`, { ack: 'client-individual' });
    await c.publish(`/queue/${q}`, 'keep', { persistent: 'true', tag });
    await c.publish(`/queue/${q}`, 'poison', { persistent: 'true', tag });
    const [keep, poison] = await sub.next(2);
    expect(keep!.headers.ack).toBeDefined();
    await c.withReceipt((receipt) => keep!.ack({ receipt }));
    await c.withReceipt((receipt) => poison!.nack({ receipt }));
    const dlq = await c.subscribe('/queue/ActiveMQ.DLQ', { selector: `tag = '${tag}'` });
    const [dead] = await dlq.next();
    expect(dead!.body).toBe('poison');
    await c.disconnect();
    // The acknowledged one is gone, the NACKed one is not redelivered.
    const d = await open();
    const again = await d.subscribe(`/queue/${q}`);
    await sleep(100);
    expect(again.messages).toHaveLength(0);
    await d.disconnect();
  });

  it('commits and aborts transactions, acks included', async () => {
    const c = await open();
    const q = stomp.name('q');
    const sub = await c.subscribe(`/queue/${q}`, { ack: 'client' });
    const tx = c.client.begin();
    await c.publish(`/queue/${q}`, 'one', { transaction: tx.id });
    await sleep(50);
    expect(sub.messages).toHaveLength(0);
    tx.commit();
    await c.barrier();
    const [one] = await sub.next();
    const ackTx = c.client.begin();
    one!.ack({ transaction: ackTx.id });
    ackTx.abort();
    const [again] = await sub.next();
    expect(again!.body).toBe('one');
    expect(again!.headers.redelivered).toBe('true');
    again!.ack();
    await c.disconnect();
  });

  it('round-trips request / reply through a temporary queue', async () => {
    const service = stomp.name('service');
    const requester = await open();
    const responder = await open();
    const requests = await responder.subscribe(`/queue/${service}`);
    const replies = await requester.subscribe('/temp-queue/rpc');
    await requester.publish(`/queue/${service}`, 'ping', { 'reply-to': '/temp-queue/rpc' });
    const [request] = await requests.next();
    await responder.publish(request!.headers['reply-to']!, 'pong');
    const [reply] = await replies.next();
    expect(reply!.body).toBe('pong');
    expect(reply!.headers.destination).toBe('/temp-queue/rpc');
    await Promise.all([requester.disconnect(), responder.disconnect()]);
  });

  it('filters a topic with a selector', async () => {
    const c = await open();
    const t = stomp.name('t');
    const sub = await c.subscribe(`/topic/${t}`, { selector: "region = 'eu'" });
    await c.publish(`/topic/${t}`, 'us', { region: 'us' });
    await c.publish(`/topic/${t}`, 'eu', { region: 'eu' });
    expect((await sub.next())[0]!.body).toBe('eu');
    await sleep(50);
    expect(sub.messages).toHaveLength(1);
    await c.disconnect();
  });

  it('keeps heart-beats going both ways', async () => {
    const c = await open({ heartbeatMs: 100 });
    await sleep(800);
    expect(c.client.connected).toBe(true);
    expect(c.closed).toBe(false);
    await c.disconnect();
  });

  it('reports an ERROR through onStompError and the server closes', async () => {
    const c = await open();
    let error: string | undefined;
    c.client.onStompError = (frame) => (error = frame.headers.message);
    const closed = new Promise<void>((resolve) => (c.client.onWebSocketClose = () => resolve()));
    c.client.publish({ destination: '/queue/', body: 'x' });
    await closed;
    expect(error).toMatch(/Illegal destination name/);
    await c.client.deactivate();
  });
});
