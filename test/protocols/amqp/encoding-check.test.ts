import { describe, expect, it } from 'vitest';
import type { Message } from 'rhea';
import { checkValue, checkValues, MAX_NESTING } from '../../../protocols/amqp/encoding-check.js';
import { AmqpProtocolError } from '../../../protocols/amqp/errors.js';
import { messageUtil, types } from './support/client.js';

const encodeMessage = (m: Record<string, unknown>): Buffer => messageUtil.encode(m as unknown as Message);

describe('checkValue', () => {
  it('accepts what rhea encodes: every type, compounds, arrays, described values', () => {
    const message = encodeMessage({
      durable: true, message_id: 'x', creation_time: new Date(1), delivery_annotations: { a: 1 },
      message_annotations: { 'x-opt-k': types.wrap_symbol('v') }, footer: { f: true },
      application_properties: {
        ub: types.wrap_ubyte(1), us: types.wrap_ushort(2), ul: types.wrap_ulong(2 ** 40), l: types.wrap_long(-(2 ** 40)),
        f: types.wrap_float(1.5), d: 2.5, c: types.wrap_char(65), u: types.wrap_uuid(Buffer.alloc(16, 1)), bin: Buffer.alloc(300, 2),
        long: 'y'.repeat(300), sym: types.wrap_symbol('s'),
      },
      body: { list: [1, 'two', [3, [4]], null, true, false], map: { k: { n: 0 } }, arr: types.wrap_array(['a', 'b'], 0xa3, undefined) },
    });
    expect(() => checkValues(message)).not.toThrow();
    expect(() => checkValues(encodeMessage({ body: messageUtil.data_sections([Buffer.from('a'), Buffer.alloc(0)]) }))).not.toThrow();
    expect(() => checkValues(encodeMessage({ body: messageUtil.sequence_sections([[1], []]) }))).not.toThrow();
  });

  it.each([
    ['an unknown typecode', [0x46]],
    ['a truncated fixed-width value', [0x71, 0, 0]],
    ['a string longer than its bytes', [0xa1, 5, 0x61]],
    ['a list counting more items than bytes', [0xd0, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]],
    ['a list whose items do not fill it', [0xc0, 3, 1, 0x40, 0x40]],
    ['a list whose items overrun it', [0xc0, 2, 1, 0x71, 0, 0, 0, 1]],
    ['an array counting more elements than bytes', [0xe0, 3, 200, 0x71, 0]],
    ['a descriptor with no value', [0x00, 0x53, 0x70]],
  ])('refuses %s', (_name, bytes) => {
    const b = Buffer.from(bytes);
    expect(() => checkValue(b, 0, b.length)).toThrow(AmqpProtocolError);
  });

  it('bounds nesting', () => {
    const nested = (depth: number): Buffer => {
      let inner = Buffer.from([0x40]);
      for (let i = 0; i < depth; i++) inner = Buffer.concat([Buffer.from([0xc0, inner.length + 1, 1]), inner]);
      return inner;
    };
    expect(() => checkValues(nested(MAX_NESTING - 1))).not.toThrow();
    expect(() => checkValues(nested(MAX_NESTING + 1))).toThrow(/nest too deep/);
  });

  it('lets arrays of zero-width elements be a little larger than their bytes, no more', () => {
    const nulls = (count: number): Buffer => {
      const b = Buffer.from([0xf0, 0, 0, 0, 5, 0, 0, 0, 0, 0x40]);
      b.writeUInt32BE(count, 5);
      return b;
    };
    expect(() => checkValues(nulls(1000))).not.toThrow();
    expect(() => checkValues(nulls(2 ** 31))).toThrow(/more elements than it has bytes/);
  });
});
