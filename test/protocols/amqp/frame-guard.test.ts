import { describe, expect, it } from 'vitest';
import { describedList } from '../../../protocols/amqp/codec.js';
import { AmqpProtocolError } from '../../../protocols/amqp/errors.js';
import { FrameGuard, UnsupportedHeader, type GuardEvent } from '../../../protocols/amqp/frame-guard.js';
import { types } from '../../../protocols/amqp/rhea-engine.js';
import { frame, FRAME_TYPE, protocolHeader } from '../../../protocols/amqp/wire.js';
import { amqpFrame, beginFrame, openFrame, PERFORMATIVE, rawFrame } from './support/raw-client.js';

const limits = { maxFrameBytes: 1024, preOpenMaxFrameBytes: 512, channelMax: 10 };

/** Scans `bytes` in chunks of `size`; returns events with the offset after which each came. */
function scanAll(bytes: Buffer, size: number, guard = new FrameGuard(limits)): Array<[number, GuardEvent]> {
  const events: Array<[number, GuardEvent]> = [];
  let passed = 0;
  for (let start = 0; start < bytes.length; start += size) {
    const chunk = bytes.subarray(start, start + size);
    let offset = 0;
    while (offset < chunk.length) {
      const r = guard.scan(chunk, offset);
      offset += r.consumed;
      passed += r.consumed;
      if (r.event) events.push([passed, r.event]);
      if (r.consumed === 0 && !r.event) break;
    }
  }
  return events;
}

const saslInit = frame(FRAME_TYPE.sasl, 0, describedList(0x41, [types.wrap_symbol('ANONYMOUS')]));
const conversation = Buffer.concat([
  protocolHeader(3), saslInit, protocolHeader(0), openFrame('c'), beginFrame(),
  amqpFrame(PERFORMATIVE.flow, [types.wrap_uint(0), types.wrap_uint(10), types.wrap_uint(0), types.wrap_uint(10)]),
  rawFrame(8, 2, 0, 0), // heartbeat
  amqpFrame(PERFORMATIVE.close, []),
]);

describe('FrameGuard', () => {
  it('finds the same events at the same offsets whatever the chunking, byte by byte included', () => {
    const whole = scanAll(conversation, conversation.length);
    expect(whole).toEqual([
      [8, { kind: 'header', protocolId: 3 }],
      [8 + saslInit.length, { kind: 'sasl-frame', code: 0x41 }],
      [16 + saslInit.length, { kind: 'header', protocolId: 0 }],
    ]);
    for (const size of [1, 2, 3, 7, 13]) expect(scanAll(conversation, size)).toEqual(whole);
  });

  it('takes AMQP without SASL', () => {
    expect(scanAll(Buffer.concat([protocolHeader(0), openFrame('c')]), 1)).toEqual([[8, { kind: 'header', protocolId: 0 }]]);
  });

  it.each([
    ['a non-AMQP header', Buffer.from('HTTP/1.1'), 3],
    ['AMQP 0-9-1', Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]), 0],
    ['an unknown protocol id', Buffer.from([0x41, 0x4d, 0x51, 0x50, 9, 1, 0, 0]), 3],
  ])('answers %s with a supported header', (_name, header, answer) => {
    const error = (() => {
      try {
        scanAll(header, 1);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UnsupportedHeader);
    expect((error as UnsupportedHeader).answerProtocolId).toBe(answer);
  });

  const afterOpen = Buffer.concat([protocolHeader(0), openFrame('c')]);
  it.each([
    ['a frame above the limit', rawFrame(1025, 2, 0, 0), 'amqp:connection:framing-error'],
    ['a frame below 8 bytes', rawFrame(7, 2, 0, 0), 'amqp:connection:framing-error'],
    ['a data offset below 2', rawFrame(16, 1, 0, 0, Buffer.alloc(8)), 'amqp:connection:framing-error'],
    ['a data offset past the frame', rawFrame(12, 4, 0, 0, Buffer.alloc(4)), 'amqp:connection:framing-error'],
    ['a SASL frame type', rawFrame(12, 2, 1, 0, Buffer.from([0, 0x53, 0x41, 0x45])), 'amqp:connection:framing-error'],
    ['a channel above channel-max', beginFrame(11), 'amqp:connection:framing-error'],
    ['an unknown performative', amqpFrame(0x20, []), 'amqp:not-implemented'],
    ['a body that is not described', rawFrame(11, 2, 0, 0, Buffer.from([0xa1, 1, 0x41])), 'amqp:decode-error'],
    ['a second protocol header', protocolHeader(0), 'amqp:connection:framing-error'],
  ])('refuses %s', (_name, bad, condition) => {
    for (const size of [1, 1000]) {
      expect(() => scanAll(Buffer.concat([afterOpen, bad]), size)).toThrow(AmqpProtocolError);
      try {
        scanAll(Buffer.concat([afterOpen, bad]), size);
      } catch (e) {
        expect((e as AmqpProtocolError).condition).toBe(condition);
      }
    }
  });

  it('holds frames before open to the smaller limit', () => {
    const big = rawFrame(600, 2, 0, 0, Buffer.alloc(592));
    expect(() => scanAll(Buffer.concat([protocolHeader(0), big]), 64)).toThrow(/exceeds the maximum of 512/);
  });

  it('wants open first, and only the SASL frames a client sends', () => {
    expect(() => scanAll(Buffer.concat([protocolHeader(0), beginFrame()]), 5)).toThrow(/begin before open/);
    const outcome = frame(FRAME_TYPE.sasl, 0, describedList(0x44, [types.Ubyte(0)]));
    expect(() => scanAll(Buffer.concat([protocolHeader(3), outcome]), 5)).toThrow(/may not send sasl-outcome/);
  });

  it('knows performatives by symbolic and ulong descriptors too', () => {
    const symbolic = Buffer.concat([Buffer.from([0x00, 0xa3, 14]), Buffer.from('amqp:open:list'), Buffer.from([0x45])]);
    const ulong = Buffer.from([0x00, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x45]);
    for (const body of [symbolic, ulong]) {
      const guard = new FrameGuard(limits);
      scanAll(Buffer.concat([protocolHeader(0), rawFrame(8 + body.length, 2, 0, 0, body)]), 3, guard);
      expect(guard.openSeen).toBe(true);
    }
  });
});
