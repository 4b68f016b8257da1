import { generate, parser, type Packet } from 'mqtt-packet';
import { describe, expect, test } from 'vitest';
import { MqttProtocolError } from '../../../protocols/mqtt/errors.js';
import { barePublishSize, decodePacket, writeBarePublish } from '../../../protocols/mqtt/packet-codec.js';

function publishWithTopicBytes(topic: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from([topic.length >> 8, topic.length & 0xff]), topic, Buffer.from('x')]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

describe('packet codec', () => {
  test('decodes with mqtt-packet', () => {
    const p = decodePacket(generate({ cmd: 'publish', topic: 'a/é', payload: 'hi', qos: 0, dup: false, retain: false }), 4);
    expect(p).toMatchObject({ cmd: 'publish', topic: 'a/é' });
  });

  test.each([
    ['invalid UTF-8', Buffer.from([0x61, 0xff, 0x62])],
    ['a truncated sequence', Buffer.from([0x61, 0xe2, 0x82])],
    ['a surrogate', Buffer.from([0xed, 0xa0, 0x80])],
    ['an overlong encoding', Buffer.from([0xc0, 0xaf])],
    ['U+0000', Buffer.from([0x61, 0x00])],
  ])('refuses %s in a string as malformed [MQTT-1.5.4-1]', (_what, topic) => {
    expect(() => decodePacket(publishWithTopicBytes(topic), 4)).toThrow(MqttProtocolError);
  });

  test('accepts U+FFFD itself', () => {
    expect(decodePacket(publishWithTopicBytes(Buffer.from('a\uFFFDb')), 4)).toMatchObject({ topic: 'a\uFFFDb' });
  });

  test('decodes a packet in the middle of a chunk, on the hot path and the full parser alike', () => {
    const packets = [
      generate({ cmd: 'publish', topic: 'a/b', payload: 'hot', qos: 1, messageId: 7, dup: false, retain: false }),
      generate({ cmd: 'puback', messageId: 9 }),
      generate({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'x/#', qos: 1 }] }),
    ];
    const chunk = Buffer.concat([Buffer.from([0xaa, 0xbb]), ...packets, Buffer.from([0xcc])]);
    let at = 2;
    for (const bytes of packets) {
      expect(decodePacket(chunk, 4, at, at + bytes.length)).toEqual(decodePacket(bytes, 4));
      at += bytes.length;
    }
  });

  test('refuses a packet other than CONNECT first, and repeated properties', () => {
    expect(() => decodePacket(generate({ cmd: 'pingreq' }), undefined)).toThrow(/CONNECT/);
    // Content Type twice.
    const props = Buffer.from([0x03, 0x00, 0x01, 0x61, 0x03, 0x00, 0x01, 0x62]);
    const body = Buffer.concat([Buffer.from([0x00, 0x01, 0x74, props.length]), props]);
    expect(() => decodePacket(Buffer.concat([Buffer.from([0x30, body.length]), body]), 5)).toThrow(/more than once/);
  });

  test('a malformed packet leaves the shared parser clean for the next one', () => {
    expect(() => decodePacket(Buffer.from([0x30, 0x03, 0x00, 0x05, 0x61]), 4)).toThrow(MqttProtocolError);
    expect(decodePacket(generate({ cmd: 'pingreq' }), 4)).toMatchObject({ cmd: 'pingreq' });
  });

  test.each([4, 5] as const)('the bare PUBLISH encoder writes what mqtt-packet writes (level %i)', (level) => {
    for (const size of [0, 1, 100, 200, 20_000, 3_000_000]) {
      for (const qos of [0, 1, 2] as const) {
        const payload = Buffer.alloc(size, 0x5a);
        const packet = { cmd: 'publish', topic: 'sensors/é/1', payload, qos, messageId: qos ? 513 : undefined, dup: qos > 0, retain: true } as Packet;
        const expected = generate(level === 5 ? { ...packet, properties: {} } as Packet : packet, { protocolVersion: level });
        const topicBytes = Buffer.byteLength('sensors/é/1');
        // Written after 3 bytes of something else, as into a connection's output of one tick.
        const out = Buffer.alloc(3 + barePublishSize(topicBytes, size, qos, level), 0xee);
        writeBarePublish(out, 3, 'sensors/é/1', topicBytes, payload, qos, 513, qos > 0, true, level);
        expect(out.subarray(3).equals(expected)).toBe(true);
      }
    }
  });
});

/** mqtt-packet's own parser, as the reference the fast path must agree with. */
function reference(bytes: Buffer, level: 3 | 4 | 5): Packet | undefined {
  let out: Packet | undefined;
  const p = parser({ protocolVersion: level });
  p.on('packet', (packet: Packet) => (out = packet));
  p.on('error', () => undefined);
  p.parse(bytes);
  return out;
}

test('the hot path (PUBLISH without properties, 4-byte acks) agrees with mqtt-packet', () => {
  const fields = (p: Packet | undefined): unknown => {
    const keys = p?.cmd === 'publish' ? ['cmd', 'topic', 'payload', 'qos', 'dup', 'retain', 'messageId'] : ['cmd', 'messageId'];
    return p && JSON.parse(JSON.stringify(Object.fromEntries(keys.map((k) => [k, (p as unknown as Record<string, unknown>)[k]]))));
  };
  for (const level of [3, 4, 5] as const) {
    const packets: Packet[] = [
      { cmd: 'publish', topic: 'a/ü', payload: Buffer.from('x'), qos: 0, dup: false, retain: true },
      { cmd: 'publish', topic: 't', payload: Buffer.alloc(300, 3), qos: 1, messageId: 300, dup: true, retain: false },
      { cmd: 'publish', topic: '', payload: Buffer.alloc(0), qos: 2, messageId: 65535, dup: false, retain: false },
      { cmd: 'puback', messageId: 7 }, { cmd: 'pubrec', messageId: 8 }, { cmd: 'pubrel', messageId: 9 }, { cmd: 'pubcomp', messageId: 10 },
    ];
    for (const packet of packets) {
      const bytes = generate(level === 5 && packet.cmd === 'publish' ? { ...packet, properties: {} } as Packet : packet, { protocolVersion: level });
      const ours = decodePacket(bytes, level);
      const theirs = reference(bytes, level);
      expect(fields(ours)).toEqual(fields(theirs));
    }
  }
});
