import type { Connection, Message } from 'rhea';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestBroker } from '../../helpers/broker.js';
import { startAmqpBroker } from './support/broker.js';
import {
  closeConnection, closeLink, connect, detachLink, filter, messageUtil, openReceiver, openSender, receive, receiveFor, send,
  types, whenSendable,
} from './support/client.js';

let broker: TestBroker;
let port: number;
const open: Connection[] = [];
let seq = 0;
const unique = (name: string): string => `${name}.${process.pid}.${++seq}`;

async function client(options: Parameters<typeof connect>[1] = {}): Promise<Connection> {
  const c = await connect(port, options);
  open.push(c);
  return c;
}

beforeAll(async () => {
  broker = await startAmqpBroker({ core: { maxRedeliveries: 2, policies: [{ match: 'vis.>', visibilityTimeoutMs: 300 }] } });
  port = broker.ports.amqp!.tcp!;
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => closeConnection(c)));
});

afterAll(async () => {
  await broker?.stop();
});

describe('connection', () => {
  it('advertises max-frame-size, channel-max, idle-time-out and the ActiveMQ prefixes', async () => {
    const c = await client();
    const remote = (c as unknown as { remote: { open: { max_frame_size: number; channel_max: number; idle_time_out: number; offered_capabilities: string[] } } }).remote.open;
    expect(remote.max_frame_size).toBe(broker.config.limits.maxFrameBytes);
    expect(remote.channel_max).toBe(32767);
    expect(remote.idle_time_out).toBeGreaterThan(0);
    expect(remote.offered_capabilities).toContain('ANONYMOUS-RELAY');
    expect(c.properties).toMatchObject({ 'queue-prefix': 'queue://', 'topic-prefix': 'topic://' });
  });

  it('authenticates with SASL PLAIN and ANONYMOUS', async () => {
    const plain = await client({ username: 'someone', password: 'secret' });
    expect(plain.is_open()).toBe(true);
    const anonymous = await client({ username: 'anonymous' });
    expect(anonymous.is_open()).toBe(true);
    const noSasl = await client({});
    expect(noSasl.is_open()).toBe(true);
  });
});

describe('queues', () => {
  it('accepts a durable message once routed and delivers it with its sections', async () => {
    const c = await client();
    const q = unique('queue://orders');
    const sender = await openSender(c, q);
    await whenSendable(sender);
    const result = await send(sender, {
      body: 'hello', durable: true, priority: 7, ttl: 60_000, message_id: 'm-1', correlation_id: 'c-1', subject: 'greeting',
      content_type: 'text/plain', group_id: 'g', group_sequence: 3, application_properties: { n: 1, s: 'x', b: true },
    });
    expect(result.outcome).toBe('accepted');
    const receiver = await openReceiver(c, q);
    const [got] = await receive(receiver, 1);
    const m = got!.message;
    expect(m.body).toBe('hello');
    expect(m.durable).toBe(true);
    expect(m.priority).toBe(7);
    expect(m.ttl).toBe(60_000);
    expect(m.message_id).toBe('m-1');
    expect(m.correlation_id).toBe('c-1');
    expect(m.subject).toBe('greeting');
    expect(m.content_type).toBe('text/plain');
    expect(m.group_id).toBe('g');
    expect(m.group_sequence).toBe(3);
    expect(m.application_properties).toEqual({ n: 1, s: 'x', b: true });
  });

  it('treats a bare name as a queue, and competing receivers share it', async () => {
    const c = await client();
    const name = unique('work');
    const sender = await openSender(c, name);
    const r1 = await openReceiver(c, { source: name, credit_window: 10 });
    const r2 = await openReceiver(c, { source: `queue://${name}`, credit_window: 10 });
    const got1 = receiveFor(r1, 400);
    const got2 = receiveFor(r2, 400);
    for (let i = 0; i < 10; i++) sender.send({ body: `m${i}` });
    const [a, b] = await Promise.all([got1, got2]);
    expect(a.length + b.length).toBe(10);
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
  });

  it('sends presettled (at-most-once) both ways', async () => {
    const c = await client();
    const q = unique('queue://presettled');
    const sender = await openSender(c, { target: q, snd_settle_mode: 1 });
    await whenSendable(sender);
    expect((await send(sender, { body: 'fire' })).outcome).toBe('settled');
    const receiver = await openReceiver(c, { source: q, snd_settle_mode: 1, autoaccept: false });
    expect(receiver.snd_settle_mode).toBe(1);
    const [got] = await receive(receiver, 1);
    expect(got!.message.body).toBe('fire');
    expect(got!.delivery.remote_settled).toBe(true);
  });

  it('routes by the capabilities Qpid JMS sends when the address has no prefix', async () => {
    const c = await client();
    const name = unique('caps');
    const receiver = await openReceiver(c, { source: { address: name, capabilities: ['topic'] } });
    const viaTopic = await openSender(c, { target: { address: `topic://${name}` } });
    await whenSendable(viaTopic);
    const received = receive(receiver, 1);
    await send(viaTopic, { body: 'to the topic' });
    const [got] = await received;
    expect(got!.message.body).toBe('to the topic');
  });
});

describe('topics', () => {
  it('gives every subscriber a copy', async () => {
    const c = await client();
    const t = unique('topic://prices');
    const r1 = await openReceiver(c, t);
    const r2 = await openReceiver(c, t);
    const sender = await openSender(c, t);
    await whenSendable(sender);
    const received = Promise.all([receive(r1, 1), receive(r2, 1)]);
    await send(sender, { body: 'tick' });
    const [[a], [b]] = await received;
    expect(a!.message.body).toBe('tick');
    expect(b!.message.body).toBe('tick');
  });

  it('keeps a durable subscription across a reconnect and removes it on a closing detach', async () => {
    const id = unique('durable-client');
    const t = unique('topic://news');
    const source = { address: t, durable: 2, expiry_policy: 'never' };
    let c = await client({ id });
    let sub = await openReceiver(c, { name: 'my-sub', source });
    await detachLink(sub);
    await closeConnection(c);

    const p = await client();
    const sender = await openSender(p, t);
    await whenSendable(sender);
    await send(sender, { body: 'while away', durable: true });

    c = await client({ id });
    sub = await openReceiver(c, { name: 'my-sub', source });
    const [got] = await receive(sub, 1);
    expect(got!.message.body).toBe('while away');
    await closeLink(sub);

    await send(sender, { body: 'after removal', durable: true });
    sub = await openReceiver(c, { name: 'my-sub', source });
    expect(await receiveFor(sub, 300)).toEqual([]);
  });

  it('looks a durable subscription up by link name when the attach has no source (Qpid JMS unsubscribe)', async () => {
    const id = unique('lookup-client');
    const t = unique('topic://lookup');
    const c = await client({ id });
    const sub = await openReceiver(c, { name: 'sub-x', source: { address: t, durable: 2, expiry_policy: 'never', filter: filter.selector("k = 'v'") } });
    await detachLink(sub);
    const lookup = c.open_receiver({ name: 'sub-x', source: undefined, credit_window: 0 } as never);
    await new Promise((resolve) => lookup.once('receiver_open', resolve));
    const remote = lookup.source as unknown as { address: string; filter: Record<string, unknown> };
    expect(remote.address).toBe(t);
    expect(Object.keys(remote.filter)).toEqual(['jms-selector']);
    await closeLink(lookup);
    const missing = c.open_receiver({ name: 'sub-x', source: undefined, credit_window: 0 } as never);
    const error = await new Promise<{ condition?: string }>((resolve) => missing.once('receiver_close', () => resolve(missing.error as never)));
    expect(error.condition).toBe('amqp:not-found');
  });

  it('refuses a second consumer on an active durable subscription', async () => {
    const id = unique('busy-client');
    const source = { address: unique('topic://busy'), durable: 2, expiry_policy: 'never' };
    const c = await client({ id });
    await openReceiver(c, { name: 'busy', source });
    const s2 = c.create_session();
    s2.begin();
    const second = s2.open_receiver({ name: 'busy', source });
    const error = await new Promise<{ condition?: string }>((resolve) => second.once('receiver_close', () => resolve(second.error as never)));
    expect(error.condition).toBe('amqp:resource-locked');
  });
});

describe('queue browsing', () => {
  it('sends a browser (distribution-mode copy) the waiting messages pre-settled, and consumes none', async () => {
    const c = await client();
    const q = unique('queue://browsed');
    const sender = await openSender(c, q);
    await send(sender, { body: 'one', application_properties: { color: 'red' } });
    await send(sender, { body: 'two', application_properties: { color: 'blue' } });
    const browser = await openReceiver(c, { source: { address: q, distribution_mode: 'copy' } } as never);
    expect((browser.source as unknown as { distribution_mode: string }).distribution_mode).toBe('copy');
    const seen = await receive(browser, 2);
    expect(seen.map((r) => r.message.body)).toEqual(['one', 'two']);
    expect(seen.every((r) => r.delivery.remote_settled)).toBe(true);
    const red = await openReceiver(c, { source: { address: q, distribution_mode: 'copy', filter: filter.selector("color = 'red'") } } as never);
    expect((await receiveFor(red, 300)).map((r) => r.message.body)).toEqual(['one']);
    const consumed = await receive(await openReceiver(c, { source: { address: q } }), 2);
    expect(consumed.map((r) => r.message.body)).toEqual(['one', 'two']);
  });

  it('completes a drain once the snapshot is spent, so a browser learns the end', async () => {
    const c = await client();
    const q = unique('queue://browse-end');
    await send(await openSender(c, q), { body: 'only' });
    const browser = await openReceiver(c, { source: { address: q, distribution_mode: 'copy' }, credit_window: 0 } as never);
    const got = receiveFor(browser, 500);
    const drained = new Promise<void>((resolve) => browser.once('receiver_drained', () => resolve()));
    browser.drain = true;
    browser.add_credit(10);
    await drained;
    expect((await got).map((r) => r.message.body)).toEqual(['only']);
    expect((browser as unknown as { credit: number }).credit).toBe(0);
  });

  it('refuses to browse a topic', async () => {
    const c = await client();
    await expect(openReceiver(c, { source: { address: unique('topic://news'), distribution_mode: 'copy' } } as never)).rejects.toThrow();
  });
});

describe('selectors', () => {
  it('filters with jms-selector and echoes the filter in the attach', async () => {
    const c = await client();
    const q = unique('queue://selected');
    const receiver = await openReceiver(c, { source: { address: q, filter: filter.selector("color = 'red' AND size > 2") } });
    const echoed = receiver.source as unknown as { filter: Record<string, unknown> };
    expect(Object.keys(echoed.filter)).toEqual(['jms-selector']);
    const sender = await openSender(c, q);
    await whenSendable(sender);
    const received = receiveFor(receiver, 300);
    await send(sender, { body: 'blue', application_properties: { color: 'blue', size: 5 } });
    await send(sender, { body: 'small', application_properties: { color: 'red', size: 1 } });
    await send(sender, { body: 'match', application_properties: { color: 'red', size: 3 } });
    expect((await received).map((r) => r.message.body)).toEqual(['match']);
  });

  it('refuses a selector that does not parse with amqp:invalid-field', async () => {
    const c = await client();
    await expect(openReceiver(c, { source: { address: unique('queue://bad-selector'), filter: filter.selector('color = = 1') } }))
      .rejects.toMatchObject({ condition: 'amqp:invalid-field' });
  });
});

describe('outcomes', () => {
  async function oneMessage(q: string): Promise<{ c: Connection; receiver: Awaited<ReturnType<typeof openReceiver>> }> {
    const c = await client();
    const sender = await openSender(c, q);
    await whenSendable(sender);
    await send(sender, { body: 'payload', durable: true });
    const receiver = await openReceiver(c, { source: q, autoaccept: false, credit_window: 1 });
    return { c, receiver };
  }

  it('redelivers a released message without counting the attempt', async () => {
    const q = unique('queue://released');
    const { receiver } = await oneMessage(q);
    const [first] = await receive(receiver, 1);
    expect(first!.message.delivery_count ?? 0).toBe(0);
    first!.delivery.release();
    const [second] = await receive(receiver, 1);
    expect(second!.message.body).toBe('payload');
    expect(second!.message.delivery_count ?? 0).toBe(0);
    second!.delivery.accept();
  });

  it('redelivers a modified (delivery-failed) message with the count raised, then dead-letters it', async () => {
    const q = unique('queue://modified');
    const { c, receiver } = await oneMessage(q);
    for (let attempt = 0; attempt <= 2; attempt++) {
      const [got] = await receive(receiver, 1);
      expect(got!.message.delivery_count ?? 0).toBe(attempt);
      got!.delivery.modified({ delivery_failed: true });
    }
    expect(await receiveFor(receiver, 200)).toEqual([]);
    const dlq = await openReceiver(c, 'queue://ActiveMQ.DLQ');
    const dead = await receive(dlq, 1);
    expect(dead[0]!.message.body).toBe('payload');
  });

  it('a receiver on a queue wildcard gets what is sent to every queue it names', async () => {
    const c = await client();
    const base = unique('wq');
    const receiver = await openReceiver(c, { source: `queue://${base}.>` });
    const got = receive(receiver, 2);
    for (const leaf of ['a', 'b.c']) {
      const sender = await openSender(c, `queue://${base}.${leaf}`);
      await whenSendable(sender);
      await send(sender, { body: leaf });
    }
    expect((await got).map((r) => r.message.body).sort()).toEqual(['a', 'b.c']);
  });

  it('takes back a delivery left unsettled past the visibility timeout; its late accept is harmless', async () => {
    const q = unique('queue://vis.jobs');
    const c = await client();
    const sender = await openSender(c, q);
    await whenSendable(sender);
    await send(sender, { body: 'payload', durable: true });
    const slow = await openReceiver(c, { source: q, autoaccept: false, credit_window: 0 });
    const first = receive(slow, 1);
    slow.add_credit(1); // one credit: the slow receiver cannot take the redelivery itself
    const [held] = await first;
    const other = await openReceiver(await client(), { source: q, autoaccept: false, credit_window: 10 });
    const [again] = await receive(other, 1);
    expect(again!.message.body).toBe('payload');
    expect(again!.message.delivery_count).toBe(1);
    held!.delivery.accept();
    again!.delivery.accept();
    expect(await receiveFor(slow, 100)).toEqual([]);
    expect(slow.is_open() && other.is_open()).toBe(true);
    expect(broker.core.stats().destinations.find((d) => d.name === q.slice('queue://'.length))).toMatchObject({ depth: 0, inflight: 0 });
  });

  it('dead-letters a rejected message and an undeliverable-here one at once', async () => {
    const q = unique('queue://rejected');
    const { c, receiver } = await oneMessage(q);
    const [got] = await receive(receiver, 1);
    got!.delivery.reject({ condition: 'amqp:internal-error', description: 'poison' });
    const sender = await openSender(c, q);
    const next = receive(receiver, 1);
    await send(sender, { body: 'second', durable: true });
    const [again] = await next;
    expect(again!.message.body).toBe('second');
    again!.delivery.modified({ undeliverable_here: true });
    const dlq = await openReceiver(c, 'queue://ActiveMQ.DLQ');
    const bodies = (await receive(dlq, 2)).map((r) => r.message.body);
    expect(bodies).toEqual(expect.arrayContaining(['payload', 'second']));
  });

  it('rejects a message for a destination it cannot route to', async () => {
    const c = await client();
    const sender = await openSender(c, { target: {} });
    await whenSendable(sender);
    const result = await send(sender, { body: 'nowhere' });
    expect(result.outcome).toBe('rejected');
  });
});

describe('credit', () => {
  it('drains: delivers what is there, then consumes the rest of the credit', async () => {
    const c = await client();
    const q = unique('queue://drain');
    const sender = await openSender(c, q);
    await whenSendable(sender);
    await send(sender, { body: 'a' });
    await send(sender, { body: 'b' });
    const receiver = await openReceiver(c, { source: q, credit_window: 0 });
    const got = receiveFor(receiver, 300);
    const drained = new Promise<void>((resolve) => receiver.once('receiver_drained', () => resolve()));
    receiver.add_credit(10);
    receiver.drain_credit();
    await drained;
    expect((await got).map((r) => r.message.body)).toEqual(['a', 'b']);
    expect((receiver as unknown as { credit: number }).credit).toBe(0);
    // No credit: nothing more comes.
    await send(sender, { body: 'c' });
    expect(await receiveFor(receiver, 200)).toEqual([]);
  });

  it('answers a drain when no credit is left', async () => {
    const c = await client();
    const receiver = await openReceiver(c, { source: unique('queue://empty-drain'), credit_window: 0 });
    const drained = new Promise<void>((resolve) => receiver.once('receiver_drained', () => resolve()));
    receiver.add_credit(1);
    receiver.drain_credit();
    await drained;
  });

  it('delivers no more than the credit granted', async () => {
    const c = await client();
    const q = unique('queue://credit');
    const sender = await openSender(c, q);
    await whenSendable(sender);
    for (let i = 0; i < 5; i++) await send(sender, { body: `m${i}` });
    const receiver = await openReceiver(c, { source: q, credit_window: 0 });
    receiver.add_credit(2);
    expect((await receiveFor(receiver, 300)).length).toBe(2);
    receiver.add_credit(3);
    expect((await receiveFor(receiver, 300)).length).toBe(3);
  });

  it('grants producers a window of credit', async () => {
    const c = await client();
    const sender = await openSender(c, unique('queue://window'));
    await whenSendable(sender);
    expect((sender as unknown as { credit: number }).credit).toBe(1000);
  });
});

describe('reply-to with dynamic nodes', () => {
  it('creates a temporary queue for a dynamic source and routes replies to it', async () => {
    const requester = await client();
    const responder = await client();
    const service = unique('queue://service');
    const replies = await openReceiver(requester, { source: { dynamic: true } as never });
    const replyTo = replies.source.address;
    expect(replyTo).toMatch(/^temp-queue:\/\//);

    const requests = await openReceiver(responder, service);
    const relay = await openSender(responder, { target: {} });
    requests.on('message', (ctx) => {
      const m = ctx.message as Message;
      relay.send({ to: m.reply_to, correlation_id: m.message_id, body: `re: ${String(m.body)}` });
    });
    const out = await openSender(requester, service);
    await whenSendable(out);
    await send(out, { body: 'ping', message_id: 'q-1', reply_to: replyTo });
    const [reply] = await receive(replies, 1);
    expect(reply!.message.body).toBe('re: ping');
    expect(reply!.message.correlation_id).toBe('q-1');
  });

  it('creates a temporary queue for a dynamic target (Qpid JMS createTemporaryQueue)', async () => {
    const c = await client();
    const creator = await openSender(c, { target: { dynamic: true, capabilities: ['temporary-queue'] } });
    const address = creator.target.address;
    expect(address).toMatch(/^temp-queue:\/\//);
    const consumer = await openReceiver(c, address);
    await whenSendable(creator);
    const received = receive(consumer, 1);
    await send(creator, { body: 'to myself' });
    expect((await received)[0]!.message.body).toBe('to myself');
  });

  it('does not let another connection consume a temporary queue', async () => {
    const owner = await client();
    const other = await client();
    const replies = await openReceiver(owner, { source: { dynamic: true } as never });
    await expect(openReceiver(other, replies.source.address)).rejects.toMatchObject({ condition: 'amqp:unauthorized-access' });
  });
});

describe('typed values', () => {
  it('keeps every AMQP type of application properties for AMQP consumers', async () => {
    const c = await client();
    const q = unique('queue://typed');
    const sender = await openSender(c, q);
    await whenSendable(sender);
    const props = {
      ub: types.wrap_ubyte(200), us: types.wrap_ushort(60_000), ui: types.wrap_uint(4_000_000_000), ul: types.wrap_ulong(2 ** 40),
      b: types.wrap_byte(-5), s: types.wrap_short(-300), i: types.wrap_int(-70_000), l: types.wrap_long(-(2 ** 40)),
      f: types.wrap_float(1.5), d: types.wrap_double(2.25), c: types.wrap_char(0x1f600), ts: types.wrap_timestamp(1_700_000_000_000),
      bin: types.wrap_binary(Buffer.from([1, 2, 3])), sym: types.wrap_symbol('sym'), str: types.wrap_string('str'), t: types.wrap_boolean(true), n: (types as unknown as { Null(): unknown }).Null(),
    };
    const encoded = messageUtil.encode({ body: 'typed', application_properties: props } as Message);
    await send(sender, encoded, 0);
    const raw = await connect(port, { raw: true });
    open.push(raw);
    const receiver = await openReceiver(raw, q);
    const [got] = await receive(receiver, 1);
    expect(Buffer.compare(got!.message as unknown as Buffer, encoded)).toBe(0);
  });
});
