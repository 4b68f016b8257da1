import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection, Message } from 'rhea';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestBroker } from '../../helpers/broker.js';
import { startAmqpBroker } from './support/broker.js';
import { closeConnection, connect, messageUtil, openReceiver, openSender, receive, send, types, whenSendable } from './support/client.js';
import { proton, type Spec } from './support/proton.js';

/**
 * Interop with Qpid Proton (Python, Debian's python3-qpid-proton): an AMQP 1.0 implementation
 * independent of rhea, on both sides of the broker and against rhea on the other side.
 */

let broker: TestBroker;
let url: string;
let seq = 0;
const unique = (name: string): string => `${name}.py.${process.pid}.${++seq}`;
const open: Connection[] = [];

beforeAll(async () => {
  broker = await startAmqpBroker();
  url = `amqp://127.0.0.1:${broker.ports.amqp!.tcp!}`;
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => closeConnection(c)));
});

afterAll(async () => {
  await broker?.stop();
});

const TYPED_PROPS: Record<string, Spec> = {
  ub: ['ubyte', 200], us: ['ushort', 60_000], ui: ['uint', 4_000_000_000], ul: ['ulong', 2 ** 40],
  b: ['byte', -5], s: ['short', -300], i: ['int', -70_000], l: ['long', -(2 ** 40)],
  f: ['float', 1.5], d: ['double', 2.25], c: ['char', '\u{1F600}'], ts: ['timestamp', 1_700_000_000_000],
  bin: ['binary', '010203'], sym: ['symbol', 'sym'], str: ['string', 'str'], t: ['boolean', true], n: ['null', null],
};

/** Every body section kind: amqp-value of several types, data, amqp-sequence. */
const BODIES: Array<{ body: Spec; inferred?: boolean }> = [
  { body: ['string', 'text body'] },
  { body: ['binary', '00ff10'] },
  { body: ['binary', 'cafebabe'], inferred: true },
  { body: ['list', [['int', 1], ['string', 'two'], ['list', [['boolean', false]]]]] },
  { body: ['list', [['long', 7], ['string', 'seq']]], inferred: true },
  { body: ['map', [[['string', 'k'], ['double', 1.25]], [['string', 'nested'], ['map', [[['symbol', 's'], ['null', null]]]]]]] },
  { body: ['null', null] },
  { body: ['long', 42] },
  { body: ['uuid', '0f8fad5b-d9cb-469f-a165-70867728950e'] },
];

interface ProtonView {
  body: Spec;
  inferred: boolean;
  props: Record<string, Spec>;
  durable: boolean;
  priority: number;
  id: string | null;
  correlation: string | null;
  subject: string | null;
  contentType: string | null;
  replyTo: string | null;
  deliveryCount: number;
}

describe('Qpid Proton on both sides', () => {
  it('round-trips every body section and every typed property exactly', async () => {
    const q = unique('queue://sections');
    const messages = BODIES.map((b, i) => ({ ...b, props: TYPED_PROPS, durable: i % 2 === 0, priority: 6, id: `id-${i}`, correlation: `corr-${i}`, subject: 'subj' }));
    const sent = await proton<{ outcomes: string[] }>('send', { url, address: q, messages });
    expect(sent.outcomes).toEqual(messages.map(() => 'ACCEPTED'));
    const got = await proton<{ messages: ProtonView[] }>('receive', { url, address: q, count: messages.length });
    expect(got.messages).toHaveLength(messages.length);
    got.messages.forEach((m, i) => {
      expect(m.body).toEqual(messages[i]!.body);
      expect(m.inferred).toBe(messages[i]!.inferred === true);
      expect(m.props).toEqual(TYPED_PROPS);
      expect(m.durable).toBe(i % 2 === 0);
      expect(m.priority).toBe(6);
      expect(m.id).toBe(`id-${i}`);
      expect(m.correlation).toBe(`corr-${i}`);
      expect(m.subject).toBe('subj');
    });
  });

  it('filters with a selector', async () => {
    const q = unique('queue://py-selector');
    await proton('send', {
      url, address: q,
      messages: [1, 2, 3, 4].map((n) => ({ body: ['string', `m${n}`], props: { n: ['int', n] } })),
    });
    const got = await proton<{ messages: ProtonView[] }>('receive', { url, address: q, count: 4, timeout: 1, selector: 'n > 2' });
    expect(got.messages.map((m) => m.body[1])).toEqual(['m3', 'm4']);
  });

  it('keeps a durable subscription across reconnects until it is closed', async () => {
    const args = { url, container: unique('py-durable'), name: 'py-sub', address: unique('topic://py-news') };
    await proton('durable', { ...args, phase: 'subscribe' });
    await proton('send', { url, address: args.address, messages: [{ body: ['string', 'while away'], durable: true }] });
    const resumed = await proton<{ messages: ProtonView[] }>('durable', { ...args, phase: 'resume', count: 1 });
    expect(resumed.messages.map((m) => m.body[1])).toEqual(['while away']);
    await proton('durable', { ...args, phase: 'unsubscribe' });
    await proton('send', { url, address: args.address, messages: [{ body: ['string', 'nobody listens'], durable: true }] });
    await proton('durable', { ...args, phase: 'subscribe' });
    const fresh = await proton<{ messages: ProtonView[] }>('durable', { ...args, phase: 'resume', count: 1 });
    expect(fresh.messages).toEqual([]);
  });

  it('runs local transactions: rolled-back sends vanish, a rolled-back receive comes again', async () => {
    const q = unique('queue://py-tx');
    const result = await proton<{ received?: Array<{ body: string; deliveryCount: number }>; error?: string }>('tx', { url, address: q });
    expect(result.error).toBeUndefined();
    expect(result.received).toEqual([{ body: 'committed-0', deliveryCount: 0 }, { body: 'committed-0', deliveryCount: 1 }]);
    const rest = await proton<{ messages: ProtonView[] }>('receive', { url, address: q, count: 5, timeout: 1 });
    expect(rest.messages.map((m) => m.body[1])).toEqual(['committed-1']);
  });

  it('redelivers a modified (delivery-failed) message with its count raised', async () => {
    const q = unique('queue://py-modified');
    await proton('send', { url, address: q, messages: [{ body: ['string', 'again'], durable: true }] });
    const first = await proton<{ messages: ProtonView[] }>('receive', { url, address: q, count: 1, credit: 0, accept: false, modified: true });
    expect(first.messages[0]!.deliveryCount).toBe(0);
    const second = await proton<{ messages: ProtonView[] }>('receive', { url, address: q, count: 1 });
    expect(second.messages[0]!.body).toEqual(['string', 'again']);
    expect(second.messages[0]!.deliveryCount).toBe(1);
  });

  it('speaks TLS', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-amqp-ca-'));
    try {
      const ca = join(dir, 'ca.pem');
      await writeFile(ca, broker.tlsCa);
      const tlsUrl = `amqps://localhost:${broker.ports.amqp!.tls!}`;
      const q = unique('queue://py-tls');
      await proton('send', { url: tlsUrl, ca, address: q, messages: [{ body: ['string', 'secret'] }] });
      const got = await proton<{ messages: ProtonView[] }>('receive', { url: tlsUrl, ca, address: q, count: 1 });
      expect(got.messages[0]!.body).toEqual(['string', 'secret']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Qpid Proton against rhea', () => {
  it('delivers what Proton encoded to a rhea consumer byte for byte', async () => {
    const q = unique('queue://py-to-rhea');
    const messages = BODIES.map((b) => ({ ...b, props: TYPED_PROPS, durable: true }));
    const raw = await connect(broker.ports.amqp!.tcp!, { raw: true });
    open.push(raw);
    const receiver = await openReceiver(raw, q);
    const received = receive(receiver, messages.length);
    const sent = await proton<{ encoded: string[] }>('send', { url, address: q, messages });
    const got = await received;
    expect(got.map((r) => (r.message as unknown as Buffer).toString('hex'))).toEqual(sent.encoded);
  });

  it('gives Proton the types a rhea producer encoded', async () => {
    const q = unique('queue://rhea-to-py');
    const c = await connect(broker.ports.amqp!.tcp!);
    open.push(c);
    const sender = await openSender(c, q);
    await whenSendable(sender);
    const encoded = messageUtil.encode({
      body: messageUtil.data_section(Buffer.from('data!')),
      durable: true,
      subject: 'from rhea',
      application_properties: { ub: types.wrap_ubyte(7), l: types.wrap_long(-9), sym: types.wrap_symbol('s'), f: types.wrap_float(0.5) },
    } as unknown as Message);
    expect((await send(sender, encoded, 0)).outcome).toBe('accepted');
    const got = await proton<{ messages: ProtonView[] }>('receive', { url, address: q, count: 1 });
    const m = got.messages[0]!;
    expect(m.body).toEqual(['binary', Buffer.from('data!').toString('hex')]);
    expect(m.inferred).toBe(true);
    expect(m.props).toEqual({ ub: ['ubyte', 7], l: ['long', -9], sym: ['symbol', 's'], f: ['float', 0.5] });
    expect(m.subject).toBe('from rhea');
    expect(m.durable).toBe(true);
  });

  it('answers a Proton request sent with a dynamic reply-to node from a rhea service', async () => {
    const service = unique('queue://py-service');
    const c = await connect(broker.ports.amqp!.tcp!);
    open.push(c);
    const requests = await openReceiver(c, service);
    const relay = await openSender(c, { target: {} });
    requests.on('message', (ctx) => {
      const m = ctx.message as Message;
      relay.send({ to: m.reply_to, correlation_id: m.correlation_id, body: `re: ${String(m.body)}` });
    });
    const result = await proton<{ reply: string; correlation: string; replyTo: string }>('request', { url, service, body: 'ping' });
    expect(result.replyTo).toMatch(/^temp-queue:\/\//);
    expect(result.reply).toBe('re: ping');
    expect(result.correlation).toBe('req-1');
  });
});
