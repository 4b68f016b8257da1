import type { Connection } from 'rhea';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStompAdapter } from '../../../protocols/stomp/index.js';
import type { TestBroker } from '../../helpers/broker.js';
import { startAmqpBroker } from './support/broker.js';
import { closeConnection, connect, messageUtil, openReceiver, openSender, receive, send, types, whenSendable } from './support/client.js';
import { StompClient } from './support/stomp-client.js';

/** AMQP ↔ STOMP through the core: text and bytes bodies, headers and properties, both ways. */

let broker: TestBroker;
let seq = 0;
const unique = (name: string): string => `${name}.stomp.${process.pid}.${++seq}`;
const open: Connection[] = [];
const stomps: StompClient[] = [];

beforeAll(async () => {
  broker = await startAmqpBroker({}, { stomp: createStompAdapter });
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => closeConnection(c)));
  stomps.splice(0).forEach((s) => s.close());
});

afterAll(async () => {
  await broker?.stop();
});

async function amqp(): Promise<Connection> {
  const c = await connect(broker.ports.amqp!.tcp!);
  open.push(c);
  return c;
}

async function stomp(): Promise<StompClient> {
  const s = await StompClient.connect(broker.ports.stomp!.tcp!);
  stomps.push(s);
  return s;
}

describe('AMQP to STOMP', () => {
  it('delivers an amqp-value string as text with its properties as headers', async () => {
    const name = unique('a2s');
    const s = await stomp();
    await s.subscribe(`/queue/${name}`);
    const sender = await openSender(await amqp(), `queue://${name}`);
    await whenSendable(sender);
    await send(sender, {
      body: 'héllo', durable: true, priority: 7, correlation_id: 'corr', subject: 'kind', reply_to: `queue://${name}.replies`,
      application_properties: { color: 'red', n: types.wrap_int(5) },
    } as never);
    const m = await s.next();
    expect(m.command).toBe('MESSAGE');
    expect(m.body.toString('utf8')).toBe('héllo');
    expect(m.headers).toMatchObject({
      destination: `/queue/${name}`, persistent: 'true', priority: '7', 'correlation-id': 'corr', type: 'kind',
      'reply-to': `/queue/${name}.replies`, color: 'red', n: '5',
    });
  });

  it('delivers a data section as bytes', async () => {
    const name = unique('a2s-bytes');
    const s = await stomp();
    await s.subscribe(`/topic/${name}`);
    const sender = await openSender(await amqp(), `topic://${name}`);
    await whenSendable(sender);
    await send(sender, { body: messageUtil.data_section(Buffer.from([0, 1, 2, 255])) } as never);
    const m = await s.next();
    expect(m.headers['content-length']).toBe('4');
    expect([...m.body]).toEqual([0, 1, 2, 255]);
  });
});

describe('STOMP to AMQP', () => {
  it('delivers a text SEND as an amqp-value string with its headers mapped', async () => {
    const name = unique('s2a');
    const receiver = await openReceiver(await amqp(), `queue://${name}`);
    const got = receive(receiver, 1);
    const s = await stomp();
    await s.sendWithReceipt({
      destination: `/queue/${name}`, persistent: 'true', priority: '3', 'correlation-id': 'c-9', type: 'order',
      'reply-to': `/topic/${name}.replies`, custom: 'v',
    }, 'text from stomp');
    const m = (await got)[0]!.message;
    expect(m.body).toBe('text from stomp');
    expect(m.durable).toBe(true);
    expect(m.priority).toBe(3);
    expect(m.correlation_id).toBe('c-9');
    expect(m.subject).toBe('order');
    expect(m.reply_to).toBe(`topic://${name}.replies`);
    expect(m.to).toBe(`queue://${name}`);
    expect(m.application_properties).toMatchObject({ custom: 'v' });
    expect(m.message_annotations).toMatchObject({ 'x-opt-jms-msg-type': 5, 'x-opt-jms-dest': 0 });
  });

  it('delivers a SEND with content-length as a data section', async () => {
    const name = unique('s2a-bytes');
    const receiver = await openReceiver(await amqp(), `topic://${name}`);
    const got = receive(receiver, 1);
    const s = await stomp();
    const body = Buffer.from([9, 0, 8]);
    await s.sendWithReceipt({ destination: `/topic/${name}`, 'content-length': String(body.length) }, body);
    const m = (await got)[0]!.message;
    const section = m.body as unknown as { typecode: number; content: Buffer };
    expect(section.typecode).toBe(0x75);
    expect([...section.content]).toEqual([9, 0, 8]);
    expect(m.message_annotations).toMatchObject({ 'x-opt-jms-msg-type': 3, 'x-opt-jms-dest': 1 });
  });
});
