import { describe, expect, it } from 'vitest';
import { BooleanStreamReader, BooleanStreamWriter } from '../../../protocols/openwire/codec/boolean-stream.js';
import { CodecError } from '../../../protocols/openwire/codec/codec-error.js';
import type { ConnectionControl, RemoveInfo } from '../../../protocols/openwire/codec/commands.js';
import { DataReader } from '../../../protocols/openwire/codec/data-reader.js';
import { DataWriter } from '../../../protocols/openwire/codec/data-writer.js';
import { FrameSplitter } from '../../../protocols/openwire/codec/frame-splitter.js';
import { OpenWireFormat } from '../../../protocols/openwire/codec/open-wire-format.js';
import { decodePrimitiveMap, encodePrimitiveMap, type MapEntry } from '../../../protocols/openwire/codec/primitive-map.js';
import { T } from '../../../protocols/openwire/codec/type-codes.js';

describe('modified UTF-8', () => {
  it('writes NUL as C0 80 and astral characters as two 3-byte surrogates, and reads them back', () => {
    const w = new DataWriter();
    w.utf('a\u0000é€😀');
    const bytes = w.toBuffer();
    expect(bytes.toString('hex')).toBe(`000e61c080c3a9e282aceda0bdedb880`);
    expect(new DataReader(bytes).utf()).toBe('a\u0000é€😀');
  });

  it('refuses malformed input and strings longer than 65535 bytes', () => {
    expect(() => new DataReader(Buffer.from('0002c041', 'hex')).utf()).toThrow(CodecError);
    expect(() => new DataReader(Buffer.from('0001f0', 'hex')).utf()).toThrow(CodecError);
    expect(() => new DataReader(Buffer.from('0005414243', 'hex')).utf()).toThrow(CodecError);
    expect(() => new DataWriter().utf('€'.repeat(21846))).toThrow(CodecError);
  });

  it('reads remembered short ASCII strings exactly, whatever shares their hash slot', () => {
    const read = (s: string): string => {
      const w = new DataWriter();
      w.utf(s);
      return new DataReader(w.toBuffer()).utf();
    };
    // Same length and the same last 16 characters: one hash slot, told apart by the full compare.
    const a = 'ID:host-a-1700000000000-1:1';
    const b = 'ID:host-b-1700000000000-1:1';
    for (const s of [a, b, a, b, 'é' + a.slice(1), a, '', 'x'.repeat(96), 'x'.repeat(97)]) expect(read(s)).toBe(s);
  });
});

describe('tight encoding', () => {
  const tight = new OpenWireFormat({ version: 12, tightEncoding: true, cacheEnabled: false, cacheSize: 0, stackTraceEnabled: false });

  it('encodes longs in 0, 2, 4 or 8 bytes (the short forms unsigned) and reads them back', () => {
    for (const v of [0, 1, 0xffff, 0x10000, 0xffffffff, 0x100000000, -1, Number.MAX_SAFE_INTEGER, 9223372036854775807n]) {
      const info: RemoveInfo = { typeCode: T.REMOVE_INFO, commandId: 7, responseRequired: true, objectId: null, lastDeliveredSequenceId: v };
      const frame = tight.encode(info);
      const back = tight.decode(frame.subarray(4)) as RemoveInfo;
      expect(BigInt(back.lastDeliveredSequenceId)).toBe(BigInt(v));
      const size = v === 0 ? 0 : typeof v === 'number' && v > 0 && v <= 0xffff ? 2 : typeof v === 'number' && v > 0 && v <= 0xffffffff ? 4 : 8;
      // type, bit stream (1 + 1 byte), commandId, the long
      expect(frame.length - 4).toBe(1 + 2 + 4 + size);
    }
  });

  it('carries more than 64 and more than 256 bits in its boolean stream', () => {
    for (const n of [3, 70, 300, 3000]) {
      const bits = Array.from({ length: n }, (_, i) => i % 3 === 0);
      const w = new BooleanStreamWriter();
      for (const b of bits) w.write(b);
      const out = new DataWriter();
      w.marshal(out);
      const r = new BooleanStreamReader(new DataReader(out.toBuffer()));
      expect(bits.map(() => r.read())).toEqual(bits);
    }
  });

  it('round-trips strings (ascii and not), byte arrays and absent fields', () => {
    const cc: ConnectionControl = {
      typeCode: T.CONNECTION_CONTROL, commandId: 1, responseRequired: false, close: true, exit: false, faultTolerant: true,
      resume: false, suspend: true, connectedBrokers: 'tcp://a:1,tcp://b:2', reconnectTo: 'ümlaut', rebalanceConnection: true,
      token: Buffer.from([1, 2, 3]),
    };
    const back = tight.decode(tight.encode(cc).subarray(4)) as ConnectionControl;
    expect({ ...back, token: Buffer.from(back.token!) }).toEqual({ ...cc, token: Buffer.from([1, 2, 3]) });
  });
});

describe('primitive maps', () => {
  it('round-trips every value type, nested maps and lists, and big strings', () => {
    const entries: MapEntry[] = [
      ['n', { t: 'null' }], ['b', { t: 'boolean', v: true }], ['y', { t: 'byte', v: -1 }], ['c', { t: 'char', v: 0x20ac }],
      ['s', { t: 'short', v: -300 }], ['i', { t: 'int', v: 1 << 30 }], ['l', { t: 'long', v: -(2n ** 63n) }],
      ['d', { t: 'double', v: 0.1 }], ['f', { t: 'float', v: 1.5 }], ['str', { t: 'string', v: 'x\u0000y' }],
      ['big', { t: 'string', v: 'z'.repeat(9000) }], ['bytes', { t: 'bytes', v: Buffer.from([0, 255]) }],
      ['map', { t: 'map', v: [['inner', { t: 'int', v: 1 }]] }], ['list', { t: 'list', v: [{ t: 'string', v: 'a' }, { t: 'null' }] }],
    ];
    const bytes = encodePrimitiveMap(entries);
    const back = decodePrimitiveMap(bytes);
    expect(JSON.stringify(back, (_k, v) => (typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? [...v] : v)))
      .toBe(JSON.stringify(entries, (_k, v) => (typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? [...v] : v)));
    // BIG_STRING (tag 13, int length) from 8191 characters on.
    expect(bytes.includes(Buffer.from([13, 0, 0, 0x23, 0x28]))).toBe(true);
  });

  it('refuses counts beyond the limit or beyond the data', () => {
    expect(() => decodePrimitiveMap(Buffer.from('00001000', 'hex'), { maxEntries: 10 })).toThrow(CodecError);
    expect(() => decodePrimitiveMap(Buffer.from('00000005', 'hex'))).toThrow(CodecError);
  });
});

describe('frame splitting', () => {
  it('refuses sizes below 1 and above the maximum as soon as the prefix is in', () => {
    expect(() => new FrameSplitter(100).push(Buffer.from('00000000', 'hex'))).toThrow(CodecError);
    expect(() => new FrameSplitter(100).push(Buffer.from('00000065', 'hex'))).toThrow(CodecError);
    expect(new FrameSplitter(100).push(Buffer.from('000000', 'hex'))).toEqual([]);
  });
});
