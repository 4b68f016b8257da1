import { generate } from 'mqtt-packet';
import { describe, expect, test } from 'vitest';
import { MqttProtocolError } from '../../../protocols/mqtt/errors.js';
import { FrameReader } from '../../../protocols/mqtt/frame-reader.js';

const packets = [
  generate({ cmd: 'pingreq' }),
  generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.alloc(300, 7), qos: 1, messageId: 9, dup: false, retain: false }),
  generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(20_000, 1), qos: 0, dup: false, retain: true }),
  generate({ cmd: 'puback', messageId: 3 }),
];
const stream = Buffer.concat(packets);

describe('FrameReader', () => {
  test('cuts the same packets whatever the chunking, byte at a time included', () => {
    for (const size of [1, 2, 3, 7, 64, 1000, stream.length]) {
      const reader = new FrameReader(1 << 20);
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) reader.push(stream.subarray(i, i + size), (b, start, end) => out.push(Buffer.from(b.subarray(start, end))));
      expect(out).toEqual(packets);
      expect(reader.bufferedBytes).toBe(0);
    }
  });

  test('refuses a packet announced above the maximum from its header alone', () => {
    const reader = new FrameReader(1000);
    const header = Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]);
    expect(() => reader.push(header.subarray(0, 3), () => undefined)).not.toThrow();
    expect(() => reader.push(header.subarray(3), () => undefined)).toThrow(MqttProtocolError);
  });

  test('a Remaining Length of more than 4 bytes is malformed', () => {
    const reader = new FrameReader(1 << 30);
    expect(() => reader.push(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]), () => undefined)).toThrow(/4 bytes/);
  });
});
