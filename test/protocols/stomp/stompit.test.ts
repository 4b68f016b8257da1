import { describe, expect, it } from 'vitest';
import { sleep, useStompBroker } from './support/fixture.js';
import { StompitClient } from './support/stompit-client.js';

/** Interop with stompit (STOMP 1.0–1.2 for Node) over TCP and TLS. */
const stomp = useStompBroker({
  stomp: { heartbeatMinMs: 50 },
  core: { scheduledDelivery: true, policies: [{ match: 'vis.>', visibilityTimeoutMs: 300 }] },
});

const transports = [
  { name: 'TCP', options: () => ({ port: stomp.tcpPort }) },
  { name: 'TLS', options: () => ({ port: stomp.tlsPort, ssl: true, ca: stomp.broker.tlsCa, servername: 'localhost' }) },
];

describe.each(transports)('stompit over $name', ({ options }) => {
  const open = async (headers: Record<string, string> = {}) =>
    StompitClient.connect({ ...options(), connectHeaders: { host: 'localhost', ...headers } });

  it('connects with STOMP 1.2 and round-trips a message through a queue', async () => {
    const c = await open();
    expect(c.client.headers.version).toBe('1.2');
    const q = stomp.name('q');
    const sub = await c.subscribe({ destination: `/queue/${q}` });
    await c.send({ destination: `/queue/${q}`, persistent: 'true', 'x-colon': 'a:b', 'x-newline': 'a\nb' }, 'hello');
    const [m] = await sub.next();
    expect(m!.body).toBe('hello');
    expect(m!.headers).toMatchObject({ destination: `/queue/${q}`, persistent: 'true', 'x-colon': 'a:b', 'x-newline': 'a\nb' });
    await c.disconnect();
  });

  it('browses a queue with browser:true, ended by browser:end, without consuming it', async () => {
    const q = stomp.name('q');
    const c = await open();
    for (const [i, color] of ['red', 'blue', 'red'].entries()) await c.send({ destination: `/queue/${q}`, color }, `m${i}`);
    const browse = await c.subscribe({ destination: `/queue/${q}`, browser: 'true', selector: "color = 'red'" });
    const seen = await browse.next(3);
    expect(seen.map((m) => m.body)).toEqual(['m0', 'm2', '']);
    expect(seen[2]!.headers).toMatchObject({ browser: 'end', destination: `/queue/${q}` });
    browse.subscription.unsubscribe();
    const sub = await c.subscribe({ destination: `/queue/${q}` });
    expect((await sub.next(3)).map((m) => m.body)).toEqual(['m0', 'm1', 'm2']);
    await c.disconnect();
  });

  it('honours activemq.exclusive and activemq.priority on SUBSCRIBE', async () => {
    const q = stomp.name('q');
    const c = await open();
    const plain = await c.subscribe({ destination: `/queue/${q}` });
    const exclusive = await c.subscribe({ destination: `/queue/${q}`, 'activemq.exclusive': 'true' });
    const p = stomp.name('p');
    const low = await c.subscribe({ destination: `/queue/${p}`, 'activemq.priority': '1' });
    const high = await c.subscribe({ destination: `/queue/${p}`, 'activemq.priority': '9' });
    for (let i = 0; i < 3; i++) {
      await c.send({ destination: `/queue/${q}` }, `e${i}`);
      await c.send({ destination: `/queue/${p}` }, `p${i}`);
    }
    expect((await exclusive.next(3)).map((m) => m.body)).toEqual(['e0', 'e1', 'e2']);
    expect((await high.next(3)).map((m) => m.body)).toEqual(['p0', 'p1', 'p2']);
    expect([plain.messages.length, low.messages.length]).toEqual([0, 0]);
    await c.disconnect();
  });

  it('redelivers a message left unacknowledged past its queue\'s visibility timeout; the late ACK is harmless', async () => {
    const q = `vis.${stomp.name('q')}`;
    const slow = await open();
    const fast = await open();
    const held = await slow.subscribe({ destination: `/queue/${q}`, ack: 'client-individual', 'activemq.prefetchSize': '1' });
    await slow.send({ destination: `/queue/${q}`, persistent: 'true' }, 'job');
    const [first] = await held.next();
    expect(first!.headers.redelivered).toBeUndefined();
    const sub = await fast.subscribe({ destination: `/queue/${q}`, ack: 'client-individual' });
    const [again] = await sub.next(); // after ~300 ms: the slow consumer's window is still full with its copy
    expect(again!.body).toBe('job');
    expect(again!.headers.redelivered).toBe('true');
    await slow.ack(first!); // a RECEIPT, no ERROR: the delivery was taken back
    await fast.ack(again!);
    await slow.barrier();
    expect(stomp.broker.core.stats().destinations.find((d) => d.name === q)).toMatchObject({ depth: 0, inflight: 0 });
    await Promise.all([slow.disconnect(), fast.disconnect()]);
  });

  it('consumes every queue a wildcard names, with each MESSAGE naming its own queue', async () => {
    const base = stomp.name('w');
    const c = await open();
    await c.send({ destination: `/queue/${base}.eu` }, 'eu');
    const sub = await c.subscribe({ destination: `/queue/${base}.>`, ack: 'client-individual' });
    await c.send({ destination: `/queue/${base}.us.east` }, 'us');
    const got = await sub.next(2);
    expect(got.map((m) => [m.body, m.headers.destination])).toEqual([['eu', `/queue/${base}.eu`], ['us', `/queue/${base}.us.east`]]);
    for (const m of got) await c.ack(m);
    await c.barrier();
    expect(stomp.broker.core.stats().destinations.filter((d) => d.name.startsWith(base)).map((d) => d.depth)).toEqual([0, 0]);
    await c.disconnect();
  });

  it('drops a SEND that repeats an _AMQ_DUPL_ID, with a RECEIPT as for the first', async () => {
    const q = stomp.name('q');
    const c = await open();
    await c.send({ destination: `/queue/${q}`, _AMQ_DUPL_ID: 'order-7', persistent: 'true' }, 'first');
    await c.send({ destination: `/queue/${q}`, _AMQ_DUPL_ID: 'order-7', persistent: 'true' }, 'retry');
    await c.send({ destination: `/queue/${q}` }, 'next');
    const sub = await c.subscribe({ destination: `/queue/${q}` });
    expect((await sub.next(2)).map((m) => m.body)).toEqual(['first', 'next']);
    await c.disconnect();
  });

  it('holds back a message sent with an AMQ_SCHEDULED_DELAY header', async () => {
    const q = stomp.name('q');
    const c = await open();
    const sub = await c.subscribe({ destination: `/queue/${q}` });
    const sent = Date.now();
    await c.send({ destination: `/queue/${q}`, AMQ_SCHEDULED_DELAY: '400' }, 'later');
    await c.send({ destination: `/queue/${q}` }, 'now');
    expect((await sub.next(2)).map((m) => m.body)).toEqual(['now', 'later']);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(390);
    await c.disconnect();
  });

  it('fans a topic out to every subscriber', async () => {
    const t = stomp.name('t');
    const a = await open();
    const b = await open();
    const subA = await a.subscribe({ destination: `/topic/${t}` });
    const subB = await b.subscribe({ destination: `/topic/${t}` });
    await a.send({ destination: `/topic/${t}` }, 'news');
    expect((await subA.next())[0]!.body).toBe('news');
    expect((await subB.next())[0]!.body).toBe('news');
    await Promise.all([a.disconnect(), b.disconnect()]);
  });

  it('acknowledges with client-individual and dead-letters a NACKed message', async () => {
    const q = stomp.name('q');
    const tag = stomp.name('tag');
    const c = await open();
    const sub = await c.subscribe({ destination: `/queue/${q}`, ack: 'client-individual' });
    await c.send({ destination: `/queue/${q}`, persistent: 'true', tag }, 'good');
    await c.send({ destination: `/queue/${q}`, persistent: 'true', tag }, 'bad');
    const [good, bad] = await sub.next(2);
    await c.ack(good!);
    await c.nack(bad!);
    const dlq = await c.subscribe({ destination: '/queue/ActiveMQ.DLQ', selector: `tag = '${tag}'` });
    const [dead] = await dlq.next();
    expect(dead!.body).toBe('bad');
    expect(dead!.headers['original-destination']).toBe(`/queue/${q}`);
    await c.disconnect();
  });

  it('redelivers unacknowledged client-mode messages with redelivered:true', async () => {
    const q = stomp.name('q');
    const first = await open();
    const sub = await first.subscribe({ destination: `/queue/${q}`, ack: 'client' });
    await first.send({ destination: `/queue/${q}` }, 'm1');
    await first.send({ destination: `/queue/${q}` }, 'm2');
    const [m1] = await sub.next(2);
    await first.ack(m1!);
    first.client.destroy();
    const second = await open();
    const again = await second.subscribe({ destination: `/queue/${q}`, ack: 'client' });
    const [m2] = await again.next();
    expect(m2!.body).toBe('m2');
    expect(m2!.headers.redelivered).toBe('true');
    await second.ack(m2!);
    await second.disconnect();
  });

  it('commits and aborts transactions', async () => {
    const q = stomp.name('q');
    const c = await open();
    const sub = await c.subscribe({ destination: `/queue/${q}` });
    const committed = c.client.begin();
    await c.send({ destination: `/queue/${q}` }, 'in-tx', committed);
    await sleep(50);
    expect(sub.messages).toHaveLength(0);
    await new Promise<void>((resolve, reject) => committed.commit({ onReceipt: resolve, onError: reject }));
    expect((await sub.next())[0]!.body).toBe('in-tx');
    const aborted = c.client.begin();
    await c.send({ destination: `/queue/${q}` }, 'never', aborted);
    await new Promise<void>((resolve, reject) => aborted.abort({ onReceipt: resolve, onError: reject }));
    await sleep(50);
    expect(sub.messages).toHaveLength(1);
    await c.disconnect();
  });

  it('round-trips request / reply through a temporary queue', async () => {
    const service = stomp.name('service');
    const requester = await open();
    const responder = await open();
    const requests = await responder.subscribe({ destination: `/queue/${service}` });
    const replies = await requester.subscribe({ destination: '/temp-queue/answers' });
    await requester.send({ destination: `/queue/${service}`, 'reply-to': '/temp-queue/answers', 'correlation-id': 'c7' }, '2+2');
    const [request] = await requests.next();
    expect(request!.headers['reply-to']).toMatch(/^\/remote-temp-queue\//);
    await responder.send({ destination: request!.headers['reply-to']!, 'correlation-id': request!.headers['correlation-id']! }, '4');
    const [reply] = await replies.next();
    expect(reply!.body).toBe('4');
    expect(reply!.headers['correlation-id']).toBe('c7');
    await Promise.all([requester.disconnect(), responder.disconnect()]);
  });

  it('keeps a durable subscription while the client is away', async () => {
    const t = stomp.name('t');
    const clientId = stomp.name('stompit-durable');
    const subscribeHeaders = { destination: `/topic/${t}`, id: 'dur', 'activemq.subscriptionName': 'news' };
    const first = await open({ 'client-id': clientId });
    await first.subscribe(subscribeHeaders);
    await first.disconnect();
    const producer = await open();
    await producer.send({ destination: `/topic/${t}`, persistent: 'true' }, 'while-away');
    const back = await open({ 'client-id': clientId });
    const sub = await back.subscribe(subscribeHeaders);
    expect((await sub.next())[0]!.body).toBe('while-away');
    await Promise.all([back.disconnect(), producer.disconnect()]);
  });

  it('exchanges heart-beats both ways and stays connected', async () => {
    // 300 ms beats (450 ms of silence tolerated): short enough for several beats, long enough
    // that a busy test machine's timer delays do not pass for a dead peer.
    const c = await open({ 'heart-beat': '300,300' });
    expect(c.client.headers['heart-beat']).toBe('300,300');
    let failed: Error | undefined;
    c.client.on('error', (e: Error) => (failed = e));
    await sleep(1500);
    expect(failed).toBeUndefined();
    const q = stomp.name('q');
    const sub = await c.subscribe({ destination: `/queue/${q}` });
    await c.send({ destination: `/queue/${q}` }, 'alive');
    expect((await sub.next())[0]!.body).toBe('alive');
    await c.disconnect();
  });

  it('refuses a second connection with the same client-id', async () => {
    const clientId = stomp.name('stompit-cid');
    const first = await open({ 'client-id': clientId });
    await expect(open({ 'client-id': clientId })).rejects.toThrow('Client ID already in use');
    await first.disconnect();
  });
});
