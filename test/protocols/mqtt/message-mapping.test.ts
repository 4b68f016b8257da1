import { describe, expect, test } from 'vitest';
import type { CoreMessage } from '../../../src/spi/index.js';
import {
  correlationDataOf, correlationIdOf, decodeStoredPublish, encodeStoredPublish, publishPropertiesOf, publishedQos, toCoreMessage,
} from '../../../protocols/mqtt/message-mapping.js';

describe('message mapping', () => {
  test('correlation data ↔ correlation id is a bijection', () => {
    const cases = [Buffer.from('order-42'), Buffer.from([0xff, 0x00, 0x10]), Buffer.from('mqtt-binary:AAAA'), Buffer.alloc(0), Buffer.from('é')];
    for (const bytes of cases) expect(correlationDataOf(correlationIdOf(bytes)).equals(bytes)).toBe(true);
    expect(correlationIdOf(Buffer.from('order-42'))).toBe('order-42');
    expect(correlationIdOf(Buffer.from([0xff]))).toBe('mqtt-binary:/w==');
  });

  test('user properties named like prototype keys stay plain data', () => {
    const userProperties = Object.assign(Object.create(null), JSON.parse('{"__proto__":"x","constructor":"y","toString":["1","2"]}'));
    const m = toCoreMessage({ topic: 'a', payload: Buffer.from('p'), qos: 1, retain: false, properties: { userProperties } }, 'c', 1000);
    expect(Object.getPrototypeOf(m.properties)).toBe(Object.prototype);
    expect(Object.keys(m.properties)).toEqual(expect.arrayContaining(['__proto__', 'constructor', 'toString']));
    expect(m.properties['__proto__']).toBe('x');
    const full = { ...m, address: { name: 'a', routing: 'multicast' }, messageId: 'id', timestamp: 1 } as CoreMessage;
    const out = publishPropertiesOf(full, 1000)!.userProperties!;
    expect(out['toString']).toEqual(['1', '2']);
    expect(out['__proto__']).toBe('x');
  });

  test('QoS ↔ persistence, expiry, content type, response topic', () => {
    const m = toCoreMessage({
      topic: 'a', payload: Buffer.from('p'), qos: 2, retain: true,
      properties: { messageExpiryInterval: 60, contentType: 'text/plain', responseTopic: 'r/x', payloadFormatIndicator: true },
    }, 'c', 1_000_000);
    expect(m).toMatchObject({ persistent: true, expiration: 1_060_000, contentType: 'text/plain', replyTo: { name: 'r.x', routing: 'multicast' }, bodyType: 'text' });
    const full = { ...m, address: { name: 'a', routing: 'multicast' }, messageId: 'id', timestamp: 1 } as CoreMessage;
    expect(publishedQos(full)).toBe(2);
    expect(publishPropertiesOf(full, 1_030_500)).toMatchObject({ messageExpiryInterval: 30, responseTopic: 'r/x', contentType: 'text/plain', payloadFormatIndicator: true });
    expect(publishedQos({ ...full, properties: {}, persistent: false })).toBe(0);
  });

  test('stored publishes round-trip', () => {
    const s = {
      topic: 't/1', payload: Buffer.from([1, 2, 3]), qos: 1 as const, retain: true, id: 'i', publisher: 'p', timestamp: 5, expiresAt: 9,
      properties: { correlationData: Buffer.from([9, 9]), userProperties: Object.assign(Object.create(null), { k: 'v' }) },
    };
    const back = decodeStoredPublish<{ extra: number }>(encodeStoredPublish(s, { extra: 7 }));
    expect(back.extra).toBe(7);
    expect(back.payload.equals(s.payload)).toBe(true);
    expect(back.properties!.correlationData!.equals(Buffer.from([9, 9]))).toBe(true);
    expect(back.properties!.userProperties!['k']).toBe('v');
  });
});
