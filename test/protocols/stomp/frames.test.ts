import { describe, expect, it } from 'vitest';
import type { RawClient } from './support/raw-client.js';
import { sleep, useStompBroker } from './support/fixture.js';

/**
 * Every client frame and header over a real TCP socket with exact bytes, checked against what
 * ActiveMQ 5.x's STOMP transport does (ProtocolConverter, LegacyFrameTranslator, StompSubscription).
 */
const stomp = useStompBroker({ core: { maxRedeliveries: 2, expirySweepMs: 100 }, stomp: { heartbeatMinMs: 50 } });

async function subscribe(c: RawClient, destination: string, headers: Record<string, string> = {}): Promise<string> {
  const id = headers.id ?? `sub-${Math.random().toString(36).slice(2, 8)}`;
  await c.request('SUBSCRIBE', { destination, id, ...headers });
  return id;
}

/** Connects with STOMP 1.0 (no accept-version) or the given versions. */
async function connectAs(versions: string | undefined, headers: Record<string, string> = {}): Promise<RawClient> {
  const c = await stomp.socket();
  c.sendFrame('CONNECT', { ...(versions ? { 'accept-version': versions } : {}), host: 'localhost', ...headers });
  const answer = await c.next();
  expect(answer.command).toBe('CONNECTED');
  c.version = answer.headers.version as RawClient['version'];
  return c;
}

describe('CONNECT', () => {
  it('answers CONNECTED with version, session, server and heart-beat', async () => {
    const c = await stomp.socket();
    c.sendFrame('CONNECT', { 'accept-version': '1.0,1.1,1.2', host: 'localhost', login: 'guest', passcode: 'guest' });
    const connected = await c.next();
    expect(connected.command).toBe('CONNECTED');
    expect(connected.headers.version).toBe('1.2');
    expect(connected.headers.server).toMatch(/^Wharf\/\S+ \(.+\)$/);
    expect(connected.headers.session).toMatch(/\S/);
    expect(connected.headers['heart-beat']).toBe('0,0');
  });

  it('accepts STOMP as CONNECT and picks the highest common version', async () => {
    const c = await stomp.socket();
    c.sendFrame('STOMP', { 'accept-version': '1.1,1.0', host: 'localhost' });
    expect((await c.next()).headers.version).toBe('1.1');
  });

  it('speaks 1.0 without accept-version', async () => {
    const c = await connectAs(undefined);
    expect(c.version).toBe('1.0');
  });

  it('echoes request-id (or receipt) as response-id and receipt-id, as ActiveMQ', async () => {
    const c = await stomp.socket();
    c.sendFrame('CONNECT', { 'accept-version': '1.2', 'request-id': 'abc' });
    const connected = await c.next();
    expect(connected.headers['response-id']).toBe('abc');
    expect(connected.headers['receipt-id']).toBe('abc');
  });

  it('uses the client-id as the session id and refuses a second connection with it', async () => {
    const clientId = stomp.name('cid');
    const first = await stomp.client({ 'client-id': clientId });
    const second = await stomp.socket();
    const refused = await second.connect({ 'client-id': clientId, receipt: 'c1' });
    expect(refused.command).toBe('ERROR');
    expect(refused.headers.message).toMatch(/Client ID already in use/);
    await second.whenClosed();
    // The first one is undisturbed, and once it is gone the id is free again.
    await first.request('SEND', { destination: `/queue/${stomp.name('q')}` }, 'x');
    await first.request('DISCONNECT');
    await first.whenClosed();
    const third = await stomp.client({ 'client-id': clientId });
    await third.request('BEGIN', { transaction: 't' });
  });
});

describe('SEND and MESSAGE', () => {
  it('maps the standard headers both ways and keeps custom headers as properties', async () => {
    const q = stomp.name('q');
    const c = await stomp.client();
    const sub = await subscribe(c, `/queue/${q}`);
    const expires = String(Date.now() + 60_000);
    await c.request('SEND', {
      destination: `/queue/${q}`, persistent: 'true', priority: '7', expires, 'correlation-id': 'corr-1', type: 'Order',
      'reply-to': '/queue/replies', 'content-type': 'text/plain;charset=utf-8', JMSXGroupID: 'g1', custom: 'v1', 'x-empty': '',
    }, 'hello');
    const [m] = await c.messages(1);
    expect(m!.headers).toMatchObject({
      subscription: sub, destination: `/queue/${q}`, persistent: 'true', priority: '7', expires, 'correlation-id': 'corr-1',
      type: 'Order', 'reply-to': '/queue/replies', 'content-type': 'text/plain;charset=utf-8', JMSXGroupID: 'g1', custom: 'v1', 'x-empty': '',
    });
    expect(m!.headers['message-id']).toMatch(/\S/);
    expect(Number(m!.headers.timestamp)).toBeGreaterThan(Date.now() - 60_000);
    // ActiveMQ sends redelivered only when true, and no ack id to auto subscriptions.
    expect(m!.headers.redelivered).toBeUndefined();
    expect(m!.headers.ack).toBeUndefined();
    expect(m!.headers['content-length']).toBeUndefined();
    expect(m!.text).toBe('hello');
  });

  it('defaults as ActiveMQ: non-persistent, priority 4, expires 0', async () => {
    const q = stomp.name('q');
    const c = await stomp.client();
    await subscribe(c, `/queue/${q}`);
    await c.request('SEND', { destination: `/queue/${q}` }, 'x');
    const [m] = await c.messages(1);
    expect(m!.headers.persistent).toBeUndefined();
    expect(m!.headers.priority).toBe('4');
    expect(m!.headers.expires).toBe('0');
  });

  it('keeps bodies with NULs exact with content-length (a bytes message, sent back with content-length)', async () => {
    const q = stomp.name('q');
    const c = await stomp.client();
    await subscribe(c, `/queue/${q}`);
    const body = Buffer.from([0, 1, 2, 0, 255, 0]);
    await c.request('SEND', { destination: `/queue/${q}` }, body, true);
    const [m] = await c.messages(1);
    expect(m!.body).toEqual(body);
    expect(m!.headers['content-length']).toBe('6');
  });

  it('sends a frame without content-length as text, back without content-length', async () => {
    const q = stomp.name('q');
    const c = await stomp.client();
    await subscribe(c, `/queue/${q}`);
    await c.request('SEND', { destination: `/queue/${q}` }, 'héllo wörld');
    const [m] = await c.messages(1);
    expect(m!.text).toBe('héllo wörld');
    expect(m!.headers['content-length']).toBeUndefined();
  });

  it('treats a destination without prefix as a queue (ActiveMQ)', async () => {
    const q = stomp.name('bare');
    const c = await stomp.client();
    await subscribe(c, `/queue/${q}`);
    await c.request('SEND', { destination: q }, 'x');
    const [m] = await c.messages(1);
    expect(m!.headers.destination).toBe(`/queue/${q}`);
  });

  it('gives every topic subscriber a copy and every queue message to one consumer', async () => {
    const t = stomp.name('t');
    const q = stomp.name('q');
    const a = await stomp.client();
    const b = await stomp.client();
    await subscribe(a, `/topic/${t}`);
    await subscribe(b, `/topic/${t}`);
    await subscribe(a, `/queue/${q}`);
    await subscribe(b, `/queue/${q}`);
    await a.request('SEND', { destination: `/topic/${t}` }, 'topic');
    for (let i = 0; i < 10; i++) a.sendFrame('SEND', { destination: `/queue/${q}` }, `m${i}`);
    await a.request('SEND', { destination: `/queue/${q}` }, 'm10');
    expect((await a.waitFor((f) => f.headers.destination === `/topic/${t}`)).text).toBe('topic');
    expect((await b.waitFor((f) => f.headers.destination === `/topic/${t}`)).text).toBe('topic');
    await sleep(200);
    const got = [...a.frames, ...b.frames].filter((f) => f.headers.destination === `/queue/${q}`).map((f) => f.text).sort();
    expect(got).toEqual(Array.from({ length: 11 }, (_, i) => `m${i}`).sort());
  });

  it('escapes header names and values in 1.2 and 1.1, not in 1.0; the first of repeated headers wins', async () => {
    const q = stomp.name('q');
    for (const versions of ['1.2', '1.1']) {
      const c = await connectAs(versions);
      await subscribe(c, `/queue/${q}`);
      c.sendRaw(`SEND\ndestination:/queue/${q}\nkey\\cwith\\ncolon:a\\cb\\\\c\\nd\nrepeat:first\nrepeat:second\nreceipt:r\n\nx\0`);
      await c.waitFor((f) => f.command === 'RECEIPT');
      const [m] = await c.messages(1);
      expect(m!.headers['key:with\ncolon']).toBe('a:b\\c\nd');
      expect(m!.headers.repeat).toBe('first');
    }
    const old = await connectAs(undefined);
    await subscribe(old, `/queue/${q}`);
    old.sendRaw(`SEND\ndestination:/queue/${q}\nraw:a\\cb\nreceipt:r\n\nx\0`);
    await old.waitFor((f) => f.command === 'RECEIPT');
    const [m] = await old.messages(1);
    expect(m!.headers.raw).toBe('a\\cb');
  });

  it('accepts CRLF line ends (1.2)', async () => {
    const q = stomp.name('q');
    const c = await stomp.client();
    await subscribe(c, `/queue/${q}`);
    c.sendRaw(`SEND\r\ndestination:/queue/${q}\r\nreceipt:crlf\r\n\r\nbody\0`);
    expect((await c.waitFor((f) => f.command === 'RECEIPT')).headers['receipt-id']).toBe('crlf');
    expect((await c.messages(1))[0]!.text).toBe('body');
  });
});

describe('temporary destinations', () => {
  it('round-trips a request / reply through /temp-queue/ and reply-to /remote-temp-queue/', async () => {
    const service = stomp.name('service');
    const requester = await stomp.client();
    const responder = await stomp.client();
    await subscribe(responder, `/queue/${service}`);
    await subscribe(requester, '/temp-queue/replies');
    await requester.request('SEND', { destination: `/queue/${service}`, 'reply-to': '/temp-queue/replies' }, 'ping');
    const [req] = await responder.messages(1);
    expect(req!.headers['reply-to']).toMatch(/^\/remote-temp-queue\/.+/);
    await responder.request('SEND', { destination: req!.headers['reply-to']!, 'correlation-id': 'c-1' }, 'pong');
    const [reply] = await requester.messages(1);
    expect(reply!.text).toBe('pong');
    // The creating connection sees its own name again.
    expect(reply!.headers.destination).toBe('/temp-queue/replies');
    expect(reply!.headers['correlation-id']).toBe('c-1');
  });

  it('maps the same name to the same temporary destination within a connection, a new one in another', async () => {
    const a = await stomp.client();
    await subscribe(a, '/temp-topic/events');
    await a.request('SEND', { destination: '/temp-topic/events' }, 'same');
    const [m] = await a.messages(1);
    expect(m!.headers.destination).toBe('/temp-topic/events');
    const b = await stomp.client();
    await subscribe(b, '/temp-topic/events');
    await a.request('SEND', { destination: '/temp-topic/events' }, 'only-a');
    await a.messages(1);
    await b.expectNone((f) => f.command === 'MESSAGE', 150);
  });
});

describe('SUBSCRIBE', () => {
  it('applies a selector', async () => {
    const q = stomp.name('q');
    const c = await stomp.client();
    await subscribe(c, `/queue/${q}`, { selector: "color = 'red' AND JMSPriority > 3" });
    await c.request('SEND', { destination: `/queue/${q}`, color: 'blue' }, 'blue');
    await c.request('SEND', { destination: `/queue/${q}`, color: 'red', priority: '2' }, 'red-low');
    await c.request('SEND', { destination: `/queue/${q}`, color: 'red' }, 'red');
    const [m] = await c.messages(1);
    expect(m!.text).toBe('red');
    await c.expectNone((f) => f.command === 'MESSAGE', 150);
  });

  // ActiveMQ prefixes STOMP selectors with `convert_string_expressions:` so that comparing a
  // (necessarily string) STOMP property with a number converts it; so does Wharf.
  it('compares numeric-looking string properties with numbers (ActiveMQ convert_string_expressions)', async () => {
    const q = stomp.name('q');
    const c = await stomp.client();
    await subscribe(c, `/queue/${q}`, { selector: 'count > 5' });
    await c.request('SEND', { destination: `/queue/${q}`, count: '7' }, 'seven');
    expect((await c.messages(1, 500))[0]!.text).toBe('seven');
  });

  it('limits unacknowledged deliveries to activemq.prefetchSize', async () => {
    const q = stomp.name('q');
    const c = await stomp.client();
    await subscribe(c, `/queue/${q}`, { ack: 'client-individual', 'activemq.prefetchSize': '2' });
    for (let i = 0; i < 5; i++) await c.request('SEND', { destination: `/queue/${q}` }, `m${i}`);
    const first = await c.messages(2);
    await c.expectNone((f) => f.command === 'MESSAGE', 150);
    await c.request('ACK', { id: first[0]!.headers.ack! });
    expect((await c.messages(1))[0]!.text).toBe('m2');
  });

  it('sends no message before the SUBSCRIBE receipt', async () => {
    const q = stomp.name('q');
    const c = await stomp.client();
    for (let i = 0; i < 20; i++) c.sendFrame('SEND', { destination: `/queue/${q}` }, `m${i}`);
    await c.request('SEND', { destination: `/queue/${q}` }, 'last');
    c.sendFrame('SUBSCRIBE', { id: 's', destination: `/queue/${q}`, receipt: 'sub' });
    const first = await c.waitFor((f) => f.command === 'RECEIPT' || f.command === 'MESSAGE');
    expect(first.command).toBe('RECEIPT');
    expect((await c.messages(21)).map((m) => m.text)[0]).toBe('m0');
  });

  it('keeps a durable subscription while away and removes it with activemq.subscriptionName', async () => {
    const t = stomp.name('t');
    const clientId = stomp.name('durable-client');
    const durable = { 'activemq.subscriptionName': 'd1' };
    const producer = await stomp.client();
    let c = await stomp.client({ 'client-id': clientId });
    await subscribe(c, `/topic/${t}`, { id: 'd', ...durable });
    await producer.request('SEND', { destination: `/topic/${t}`, persistent: 'true' }, 'while-here');
    expect((await c.messages(1))[0]!.text).toBe('while-here');
    await c.request('DISCONNECT');
    await c.whenClosed();
    for (const text of ['away-1', 'away-2']) await producer.request('SEND', { destination: `/topic/${t}`, persistent: 'true' }, text);
    c = await stomp.client({ 'client-id': clientId });
    await subscribe(c, `/topic/${t}`, { id: 'd', ...durable });
    expect((await c.messages(2)).map((m) => m.text)).toEqual(['away-1', 'away-2']);
    // UNSUBSCRIBE by id alone keeps it ...
    await c.request('UNSUBSCRIBE', { id: 'd' });
    await producer.request('SEND', { destination: `/topic/${t}` }, 'kept');
    await subscribe(c, `/topic/${t}`, { id: 'd', ...durable });
    expect((await c.messages(1))[0]!.text).toBe('kept');
    // ... with activemq.subscriptionName it is deleted with its messages.
    await c.request('UNSUBSCRIBE', { id: 'd', ...durable });
    await producer.request('SEND', { destination: `/topic/${t}` }, 'dropped');
    await subscribe(c, `/topic/${t}`, { id: 'd2', ...durable });
    await c.expectNone((f) => f.command === 'MESSAGE', 150);
  });

  it('removes an inactive durable subscription from a later connection with the same client-id', async () => {
    const t = stomp.name('t');
    const clientId = stomp.name('durable-remover');
    let c = await stomp.client({ 'client-id': clientId });
    await subscribe(c, `/topic/${t}`, { id: 'd', 'activemq.subscriptionName': 'gone' });
    await c.request('DISCONNECT');
    await c.whenClosed();
    const producer = await stomp.client();
    await producer.request('SEND', { destination: `/topic/${t}`, persistent: 'true' }, 'stored');
    c = await stomp.client({ 'client-id': clientId });
    // ActiveMQ wants an id from 1.1 on even here; it need not name an open subscription.
    await c.request('UNSUBSCRIBE', { id: 'any', 'activemq.subscriptionName': 'gone' });
    await subscribe(c, `/topic/${t}`, { id: 'd', 'activemq.subscriptionName': 'gone' });
    await c.expectNone((f) => f.command === 'MESSAGE', 150);
    // Removing it again: ActiveMQ reports that no such durable subscription exists.
    c.sendFrame('UNSUBSCRIBE', { id: 'd' });
    c.sendFrame('UNSUBSCRIBE', { id: 'd2', 'activemq.subscriptionName': 'never-made' });
    expect((await c.expectError()).headers.message).toBe('No such durable subscription');
  });

  it('activemq.noLocal skips the connection’s own messages', async () => {
    const t = stomp.name('t');
    const a = await stomp.client();
    const b = await stomp.client();
    await subscribe(a, `/topic/${t}`, { 'activemq.noLocal': 'true' });
    await a.request('SEND', { destination: `/topic/${t}` }, 'own');
    await b.request('SEND', { destination: `/topic/${t}` }, 'other');
    expect((await a.messages(1))[0]!.text).toBe('other');
    await a.expectNone((f) => f.command === 'MESSAGE', 100);
  });

  it('in 1.0 a subscription without id is known by its destination', async () => {
    const q = stomp.name('q');
    const c = await connectAs(undefined);
    await c.request('SUBSCRIBE', { destination: `/queue/${q}`, ack: 'client' });
    await c.request('SEND', { destination: `/queue/${q}` }, 'old');
    const [m] = await c.messages(1);
    expect(m!.headers.subscription).toBe(`/queue/${q}`);
    await c.request('ACK', { 'message-id': m!.headers['message-id']! });
    await c.request('UNSUBSCRIBE', { destination: `/queue/${q}` });
    await c.request('SEND', { destination: `/queue/${q}` }, 'after');
    await c.expectNone((f) => f.command === 'MESSAGE', 100);
  });
});

describe('ACK and NACK', () => {
  async function three(mode: string, q: string): Promise<{ c: RawClient; msgs: Awaited<ReturnType<RawClient['messages']>> }> {
    const c = await stomp.client();
    await subscribe(c, `/queue/${q}`, { ack: mode });
    for (const text of ['m1', 'm2', 'm3']) await c.request('SEND', { destination: `/queue/${q}` }, text);
    return { c, msgs: await c.messages(3) };
  }

  async function redeliveredAfterReconnect(q: string, count: number) {
    const c = await stomp.client();
    await subscribe(c, `/queue/${q}`, { ack: 'client' });
    const msgs = await c.messages(count);
    await c.expectNone((f) => f.command === 'MESSAGE', 100);
    return msgs;
  }

  it('ack=client acknowledges cumulatively', async () => {
    const q = stomp.name('q');
    const { c, msgs } = await three('client', q);
    expect(msgs.every((m) => m.headers.ack !== undefined)).toBe(true);
    await c.request('ACK', { id: msgs[1]!.headers.ack! });
    c.close();
    const again = await redeliveredAfterReconnect(q, 1);
    expect(again[0]!.text).toBe('m3');
    expect(again[0]!.headers.redelivered).toBe('true');
  });

  it('ack=client-individual acknowledges one message', async () => {
    const q = stomp.name('q');
    const { c, msgs } = await three('client-individual', q);
    await c.request('ACK', { id: msgs[1]!.headers.ack! });
    c.close();
    expect((await redeliveredAfterReconnect(q, 2)).map((m) => m.text)).toEqual(['m1', 'm3']);
  });

  it('ack=auto needs no ACK', async () => {
    const q = stomp.name('q');
    const { c } = await three('auto', q);
    c.close();
    await redeliveredAfterReconnect(q, 0);
  });

  it('1.1 acknowledges by message-id and subscription', async () => {
    const q = stomp.name('q');
    const c = await connectAs('1.1');
    const sub = await subscribe(c, `/queue/${q}`, { ack: 'client-individual' });
    await c.request('SEND', { destination: `/queue/${q}` }, 'x');
    const [m] = await c.messages(1);
    expect(m!.headers.ack).toBeUndefined();
    await c.request('ACK', { 'message-id': m!.headers['message-id']!, subscription: sub });
    c.close();
    await redeliveredAfterReconnect(q, 0);
  });

  it('NACK sends the message to ActiveMQ.DLQ at once, as ActiveMQ’s poison ack does', async () => {
    const q = stomp.name('q');
    const tag = stomp.name('nack');
    const c = await stomp.client();
    await subscribe(c, `/queue/${q}`, { ack: 'client-individual' });
    await c.request('SEND', { destination: `/queue/${q}`, persistent: 'true', tag }, 'poison');
    const [m] = await c.messages(1);
    await c.request('NACK', { id: m!.headers.ack! });
    await c.expectNone((f) => f.command === 'MESSAGE', 150);
    const dlq = await stomp.client();
    await subscribe(dlq, '/queue/ActiveMQ.DLQ', { selector: `tag = '${tag}'` });
    const [dead] = await dlq.messages(1);
    expect(dead!.text).toBe('poison');
    expect(dead!.headers['original-destination']).toBe(`/queue/${q}`);
    expect(dead!.headers['message-id']).toBe(m!.headers['message-id']);
  });

  it('redelivers past the maximum into ActiveMQ.DLQ', async () => {
    // maxRedeliveries is 2 here: the third failed attempt dead-letters. A STOMP client fails an
    // attempt by acknowledging inside a transaction it aborts.
    const q = stomp.name('q');
    const tag = stomp.name('maxred');
    const c = await stomp.client();
    await subscribe(c, `/queue/${q}`, { ack: 'client-individual' });
    await c.request('SEND', { destination: `/queue/${q}`, persistent: 'true', tag }, 'flaky');
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [m] = await c.messages(1);
      expect(m!.headers.redelivered).toBe(attempt === 1 ? undefined : 'true');
      await c.request('BEGIN', { transaction: `t${attempt}` });
      await c.request('ACK', { id: m!.headers.ack!, transaction: `t${attempt}` });
      await c.request('ABORT', { transaction: `t${attempt}` });
    }
    await c.expectNone((f) => f.command === 'MESSAGE', 150);
    const dlq = await stomp.client();
    await subscribe(dlq, '/queue/ActiveMQ.DLQ', { selector: `tag = '${tag}'` });
    const [dead] = await dlq.messages(1);
    expect(dead!.text).toBe('flaky');
    expect(dead!.headers.dlqDeliveryFailureCause).toMatch(/redeliver/);
  });
});

describe('expiry', () => {
  it('does not deliver an expired message and moves it to ActiveMQ.DLQ', async () => {
    const q = stomp.name('q');
    const tag = stomp.name('exp');
    const c = await stomp.client();
    await c.request('SEND', { destination: `/queue/${q}`, persistent: 'true', expires: String(Date.now() + 100), tag }, 'short-lived');
    await sleep(400);
    await subscribe(c, `/queue/${q}`);
    await c.expectNone((f) => f.command === 'MESSAGE', 100);
    await subscribe(c, '/queue/ActiveMQ.DLQ', { selector: `tag = '${tag}'` });
    const [dead] = await c.messages(1);
    expect(dead!.text).toBe('short-lived');
    expect(dead!.headers['original-destination']).toBe(`/queue/${q}`);
    expect(dead!.headers.expires).toBe('0');
  });
});

describe('transactions', () => {
  it('holds sends until COMMIT and drops them on ABORT', async () => {
    const q = stomp.name('q');
    const c = await stomp.client();
    await subscribe(c, `/queue/${q}`);
    await c.request('BEGIN', { transaction: 'tx1' });
    await c.request('SEND', { destination: `/queue/${q}`, transaction: 'tx1' }, 'a');
    await c.request('SEND', { destination: `/queue/${q}`, transaction: 'tx1' }, 'b');
    await c.expectNone((f) => f.command === 'MESSAGE', 100);
    await c.request('COMMIT', { transaction: 'tx1' });
    expect((await c.messages(2)).map((m) => m.text)).toEqual(['a', 'b']);
    await c.request('BEGIN', { transaction: 'tx2' });
    await c.request('SEND', { destination: `/queue/${q}`, transaction: 'tx2' }, 'gone');
    await c.request('ABORT', { transaction: 'tx2' });
    await c.expectNone((f) => f.command === 'MESSAGE', 100);
  });

  it('acknowledges at COMMIT; ABORT redelivers', async () => {
    const q = stomp.name('q');
    const c = await stomp.client();
    await subscribe(c, `/queue/${q}`, { ack: 'client' });
    await c.request('SEND', { destination: `/queue/${q}` }, 'x');
    const [m] = await c.messages(1);
    await c.request('BEGIN', { transaction: 'a' });
    await c.request('ACK', { id: m!.headers.ack!, transaction: 'a' });
    await c.request('ABORT', { transaction: 'a' });
    const [again] = await c.messages(1);
    expect(again!.headers.redelivered).toBe('true');
    await c.request('BEGIN', { transaction: 'b' });
    await c.request('ACK', { id: again!.headers.ack!, transaction: 'b' });
    await c.request('COMMIT', { transaction: 'b' });
    c.close();
    const d = await stomp.client();
    await subscribe(d, `/queue/${q}`);
    await d.expectNone((f) => f.command === 'MESSAGE', 100);
  });

  it('rolls back open transactions on disconnect', async () => {
    const q = stomp.name('q');
    const c = await stomp.client();
    await c.request('BEGIN', { transaction: 'open' });
    await c.request('SEND', { destination: `/queue/${q}`, transaction: 'open' }, 'never');
    await c.request('DISCONNECT');
    const d = await stomp.client();
    await subscribe(d, `/queue/${q}`);
    await d.expectNone((f) => f.command === 'MESSAGE', 150);
  });
});

describe('UNSUBSCRIBE and DISCONNECT', () => {
  it('stops deliveries; unacknowledged messages go to another consumer', async () => {
    const q = stomp.name('q');
    const a = await stomp.client();
    const b = await stomp.client();
    await subscribe(a, `/queue/${q}`, { id: 'a', ack: 'client' });
    await a.request('SEND', { destination: `/queue/${q}` }, 'first');
    await a.messages(1);
    await subscribe(b, `/queue/${q}`, { ack: 'client' });
    await a.request('UNSUBSCRIBE', { id: 'a' });
    const [m] = await b.messages(1);
    expect(m!.text).toBe('first');
    expect(m!.headers.redelivered).toBe('true');
    await a.request('SEND', { destination: `/queue/${q}` }, 'second');
    expect((await b.messages(1))[0]!.text).toBe('second');
    await a.expectNone((f) => f.command === 'MESSAGE', 100);
  });

  it('answers DISCONNECT with its RECEIPT after the receipts of earlier frames, then closes', async () => {
    const q = stomp.name('q');
    const c = await stomp.client();
    for (let i = 0; i < 20; i++) c.sendFrame('SEND', { destination: `/queue/${q}`, persistent: 'true', receipt: `s${i}` }, 'x');
    c.sendFrame('DISCONNECT', { receipt: 'bye' });
    await c.whenClosed();
    const receipts = c.frames.map((f) => f.headers['receipt-id']);
    expect(receipts).toHaveLength(21);
    expect(receipts.at(-1)).toBe('bye');
  });
});

describe('heart-beats', () => {
  it('sends heart-beats when idle and keeps a beating client', async () => {
    const c = await stomp.socket();
    c.sendFrame('CONNECT', { 'accept-version': '1.2', 'heart-beat': '100,100' });
    const connected = await c.next();
    expect(connected.headers['heart-beat']).toBe('100,100');
    const timer = setInterval(() => c.sendRaw('\n'), 50);
    try {
      await sleep(600);
      expect(c.closed).toBe(false);
      expect(c.heartbeats).toBeGreaterThanOrEqual(4);
    } finally {
      clearInterval(timer);
    }
  });

  it('closes with ERROR when the client stays silent beyond its interval times the grace factor', async () => {
    const c = await stomp.socket();
    c.sendFrame('CONNECT', { 'accept-version': '1.2', 'heart-beat': '100,0' });
    expect((await c.next()).headers['heart-beat']).toBe('0,100');
    const started = Date.now();
    const error = await c.expectError(2000);
    expect(error.headers.message).toMatch(/heart-beat/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('backpressure', () => {
  it('delivers everything to a consumer that stops reading for a while, in order', async () => {
    const q = stomp.name('q');
    const consumer = await stomp.client();
    await subscribe(consumer, `/queue/${q}`);
    consumer.socket.pause();
    const producer = await stomp.client();
    const body = 'x'.repeat(2048);
    for (let i = 0; i < 1500; i++) producer.sendFrame('SEND', { destination: `/queue/${q}`, n: String(i) }, body);
    await producer.request('SEND', { destination: `/queue/${q}`, n: 'end' }, body);
    await sleep(300);
    consumer.socket.resume();
    const got = await consumer.messages(1501, 15_000);
    expect(got.map((m) => m.headers.n)).toEqual([...Array.from({ length: 1500 }, (_, i) => String(i)), 'end']);
  });
});
