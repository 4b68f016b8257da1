import { describe, expect, it } from 'vitest';
import { BrokerError, type CoreMessage } from '../../../src/spi/index.js';
import { AmqpProtocolError } from '../../../protocols/amqp/errors.js';
import { decodeMessage, encodeMessage, parseAddress, qualifiedAddress } from '../../../protocols/amqp/mapping.js';
import { messageUtil, types } from './support/client.js';
import type { Message } from 'rhea';

const encodeAmqp = (m: Record<string, unknown>): Buffer => messageUtil.encode(m as unknown as Message);
const decodeAmqp = (b: Buffer): Message => messageUtil.decode(b) as unknown as Message;

describe('addresses', () => {
  it('maps ActiveMQ prefixes, capabilities and bare names', () => {
    expect(parseAddress('queue://a.b')).toEqual({ name: 'a.b', routing: 'anycast' });
    expect(parseAddress('topic://a.>')).toEqual({ name: 'a.>', routing: 'multicast' });
    expect(parseAddress('temp-queue://ID:x:1')).toEqual({ name: 'ID:x:1', routing: 'anycast', temporary: true });
    expect(parseAddress('temp-topic://t')).toEqual({ name: 't', routing: 'multicast', temporary: true });
    expect(parseAddress('plain')).toEqual({ name: 'plain', routing: 'anycast' });
    expect(parseAddress('plain', 'topic')).toEqual({ name: 'plain', routing: 'multicast' });
    expect(parseAddress('queue://q', 'topic')).toEqual({ name: 'q', routing: 'anycast' });
    expect(() => parseAddress('topic://')).toThrow(BrokerError);
  });

  it('qualifies addresses so that they parse back to the same node', () => {
    for (const a of ['queue://q', 'topic://t', 'temp-queue://tq', 'temp-topic://tt']) expect(qualifiedAddress(parseAddress(a))).toBe(a);
  });
});

describe('decoding', () => {
  it('reads header, properties and application properties into the neutral fields', () => {
    const raw = encodeAmqp({
      durable: true, priority: 8, ttl: 1000, message_id: 'id-1', user_id: 'alice', to: 'topic://x', subject: 'sub',
      reply_to: 'temp-queue://r', correlation_id: 'c', content_type: 'application/json', group_id: 'g', group_sequence: 4,
      creation_time: new Date(1_600_000_000_000), application_properties: { a: types.wrap_short(3), b: 'x' }, body: '{"a":1}',
    });
    const { message, to } = decodeMessage(raw, 5000);
    expect(message).toMatchObject({
      persistent: true, priority: 8, expiration: 6000, messageId: 'id-1', userId: 'alice', type: 'sub',
      replyTo: { name: 'r', routing: 'anycast', temporary: true }, correlationId: 'c', contentType: 'application/json',
      groupId: 'g', groupSeq: 4, timestamp: 1_600_000_000_000, properties: { a: 3, b: 'x' }, propertyTypes: { a: 'short', b: 'string' },
      bodyType: 'text',
    });
    expect(Buffer.from(message.body).toString()).toBe('{"a":1}');
    expect(to).toEqual({ address: 'topic://x' });
    expect(message.native?.data).toBe(raw);
  });

  it('types the body as ActiveMQ does', () => {
    const body = (m: Record<string, unknown>) => decodeMessage(encodeAmqp(m), 0).message;
    expect(body({ body: 'text' }).bodyType).toBe('text');
    expect(body({ body: Buffer.from([1]) }).bodyType).toBe('bytes');
    expect(body({ body: messageUtil.data_section(Buffer.from([2])) })).toMatchObject({ bodyType: 'bytes', body: Buffer.from([2]) });
    expect(body({ body: messageUtil.data_sections([Buffer.from([1]), Buffer.from([2])]) }).body).toEqual(Buffer.from([1, 2]));
    expect(body({ body: messageUtil.data_section(Buffer.from('hi')), content_type: 'text/plain' }).bodyType).toBe('text');
    expect(body({ body: null }).bodyType).toBe('empty');
    expect(body({ body: { k: 1 } }).bodyType).toBe('map');
    expect(body({ body: [1, 2] }).bodyType).toBe('stream');
    expect(body({ body: messageUtil.sequence_section([1]) }).bodyType).toBe('stream');
    expect(body({ body: 3.5 }).bodyType).toBe('object');
    expect(body({ body: messageUtil.data_section(Buffer.from('x')), message_annotations: { 'x-opt-jms-msg-type': types.wrap_byte(5) } }).bodyType).toBe('text');
  });

  it('keeps non-string message ids reversibly', () => {
    const uuid = Buffer.from('0f8fad5bd9cb469fa16570867728950e', 'hex');
    const cases: Array<[unknown, string]> = [
      [types.wrap_ulong(42), 'AMQP_ULONG:42'],
      [types.wrap_uuid(uuid), 'AMQP_UUID:0f8fad5b-d9cb-469f-a165-70867728950e'],
      [types.wrap_binary(Buffer.from([0xab, 0x01])), 'AMQP_BINARY:AB01'],
      ['AMQP_ULONG:7', 'AMQP_STRING:AMQP_ULONG:7'],
    ];
    for (const [id, expected] of cases) {
      const { message } = decodeMessage(encodeAmqp({ message_id: id, body: 'x' }), 0);
      expect(message.messageId).toBe(expected);
      // Through a non-AMQP path (no native bytes) the id comes back with its AMQP type.
      const out = decodeAmqp(encodeMessage(neutral({ messageId: expected }), 1));
      expect(out.message_id).toEqual(typeof id === 'string' ? id : (id as { value: unknown }).value);
    }
  });

  it('drops delivery-annotations from what it keeps', () => {
    const raw = encodeAmqp({ delivery_annotations: { hop: 'x' }, body: 'b' });
    const kept = Buffer.from(decodeMessage(raw, 0).message.native!.data);
    expect(decodeAmqp(kept).delivery_annotations).toBeUndefined();
    expect(decodeAmqp(kept).body).toBe('b');
  });

  it('refuses a body that mixes section kinds', () => {
    const raw = Buffer.concat([encodeAmqp({ body: messageUtil.data_section(Buffer.from('a')) }), encodeAmqp({ body: 'b' }).subarray(8)]);
    expect(() => decodeMessage(raw, 0)).toThrow(/data sections, amqp-sequence sections or one amqp-value/);
  });
});

function neutral(extra: Partial<CoreMessage> = {}): CoreMessage {
  return {
    messageId: 'ID:1', address: { name: 'q', routing: 'anycast' }, body: Buffer.from('hi'), bodyType: 'text', properties: {},
    persistent: false, priority: 4, expiration: 0, timestamp: 1000, ...extra,
  };
}

describe('encoding for a delivery', () => {
  it('hands back the producer bytes on first delivery and rewrites only the header on redelivery', () => {
    const raw = encodeAmqp({ durable: true, priority: 2, ttl: 500, body: 'again', application_properties: { x: 1 } });
    const m = { ...neutral(), ...decodeMessage(raw, 0).message } as CoreMessage;
    expect(encodeMessage(m, 1)).toBe(raw);
    const again = decodeAmqp(encodeMessage(m, 3));
    expect(again).toMatchObject({ durable: true, priority: 2, ttl: 500, delivery_count: 2, body: 'again', application_properties: { x: 1 } });
    expect(again.first_acquirer).toBeFalsy();
  });

  it('builds an AMQP message from a message another protocol produced', () => {
    const out = decodeAmqp(encodeMessage(neutral({
      persistent: true, priority: 9, expiration: 11_000, correlationId: 'c', type: 'T', contentType: 'text/plain', groupId: 'g', groupSeq: 2,
      replyTo: { name: 'r', routing: 'multicast' }, userId: 'bob',
      properties: { s: 'v', i: 5, l: 7n, f: 1.5, b: true, bin: new Uint8Array([1]), n: null }, propertyTypes: { i: 'int', f: 'float' },
    }), 2, 1000));
    expect(out).toMatchObject({
      durable: true, priority: 9, ttl: 10_000, delivery_count: 1, message_id: 'ID:1', to: 'queue://q', subject: 'T', reply_to: 'topic://r',
      correlation_id: 'c', content_type: 'text/plain', group_id: 'g', group_sequence: 2, body: 'hi',
      message_annotations: { 'x-opt-jms-msg-type': 5, 'x-opt-jms-dest': 0, 'x-opt-jms-reply-to': 1 },
    });
    expect(out.application_properties).toMatchObject({ s: 'v', i: 5, l: 7, f: 1.5, b: true, n: null });
    expect(decodeAmqp(encodeMessage(neutral({ bodyType: 'bytes', body: Buffer.from([7]) }), 1)).body).toMatchObject({ typecode: 0x75 });
    expect(decodeAmqp(encodeMessage(neutral({ bodyType: 'empty', body: new Uint8Array(0) }), 1)).body).toBeNull();
  });
});

describe('decoding hostile bytes', () => {
  it('either decodes a mutated message or refuses it with a protocol or broker error', () => {
    let seed = 0x1234_5678;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed % n;
    };
    const base = encodeAmqp({
      durable: true, message_id: types.wrap_ulong(9), reply_to: 'queue://r', message_annotations: { 'x-opt-jms-msg-type': types.wrap_byte(5) },
      application_properties: { a: 1, b: 'two', c: [1, 2] }, body: { k: ['v', 1.5] },
    });
    for (let i = 0; i < 5000; i++) {
      const bytes = Buffer.from(base);
      for (let j = 0, n = 1 + random(4); j < n; j++) bytes[random(bytes.length)] = random(256);
      const cut = random(4) === 0 ? bytes.subarray(0, random(bytes.length)) : bytes;
      try {
        const { message } = decodeMessage(cut, 0);
        expect(message.native?.data).toBeDefined();
      } catch (e) {
        expect(e instanceof BrokerError || e instanceof AmqpProtocolError, String(e)).toBe(true);
      }
    }
  });
});
