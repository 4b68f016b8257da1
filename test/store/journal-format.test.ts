import { describe, expect, it } from 'vitest';
import { ByteSink, CodecError, decodeOps, encodeOp, OpReader } from '../../src/store/journal/record-codec.js';
import {
  decodeSegmentHeader, encodeSegmentHeader, parseSegmentFileName, segmentFileName, SEGMENT_HEADER_BYTES,
} from '../../src/store/journal/segment.js';
import type { StoreOp } from '../../src/store/store.js';
import { rng } from './store-suite.js';

const encode = (ops: StoreOp[]): Buffer => {
  const sink = new ByteSink(16);
  for (const op of ops) encodeOp(sink, op);
  return sink.buf.subarray(0, sink.len);
};

describe('journal record codec', () => {
  it('round-trips every op kind, including edge values', () => {
    const long = 'q'.repeat(127) + 'é'; // 129 UTF-8 bytes: a two-byte length
    const ops: StoreOp[] = [
      { kind: 'message', id: 'ID:host-1:1:1:1', data: new Uint8Array([0, 1, 2, 255]) },
      { kind: 'message', id: '', data: new Uint8Array(0) },
      { kind: 'message', id: 'big', data: new Uint8Array(70_000).fill(7) },
      { kind: 'enqueue', queue: long, id: 'ID:host-1:1:1:1', seq: Number.MAX_SAFE_INTEGER },
      { kind: 'enqueue', queue: 'q', id: 'x', seq: 0 },
      { kind: 'dequeue', queue: 'q', id: 'x' },
      { kind: 'delivery-count', queue: 'q', id: 'x', count: 128 },
      { kind: 'queue-put', queue: 'ü/ñ/日本', meta: new Uint8Array([9]) },
      { kind: 'queue-delete', queue: 'q' },
      { kind: 'kv-put', space: 'retained', key: 'a/b/#', value: new Uint8Array(300).fill(1) },
      { kind: 'kv-delete', space: 'retained', key: 'a/b/#' },
    ];
    expect(decodeOps(encode(ops))).toEqual(ops);
  });

  it('reuses the decoded string for a repeated name and still tells different ones apart', () => {
    const buf = encode([
      { kind: 'message', id: 'm1', data: new Uint8Array(1) },
      { kind: 'enqueue', queue: 'orders', id: 'm1', seq: 1 },
      { kind: 'enqueue', queue: 'orderz', id: 'm1', seq: 2 },
      { kind: 'enqueue', queue: 'orders', id: 'm2', seq: 3 },
    ]);
    const r = new OpReader().reset(buf, 0, buf.length);
    const seen: string[] = [];
    while (r.next()) seen.push(`${r.name}|${r.id}`);
    expect(seen).toEqual(['|m1', 'orders|m1', 'orderz|m1', 'orders|m2']);
  });

  it('rejects damaged contents with a CodecError, never anything else', () => {
    const good = encode([
      { kind: 'message', id: 'abc', data: new Uint8Array(20) },
      { kind: 'enqueue', queue: 'q', id: 'abc', seq: 5 },
      { kind: 'kv-put', space: 's', key: 'k', value: new Uint8Array(3) },
    ]);
    const r = rng(5);
    for (let i = 0; i < 2000; i++) {
      const bad = Buffer.from(good.subarray(0, 1 + Math.floor(r() * good.length)));
      for (let j = 0; j < 3; j++) bad[Math.floor(r() * bad.length)] = Math.floor(r() * 256);
      try {
        decodeOps(bad);
      } catch (e) {
        expect(e).toBeInstanceOf(CodecError);
      }
    }
  });
});

describe('journal segment format', () => {
  it('names segments so that they sort by number', () => {
    expect(segmentFileName(7)).toBe('journal-00000007.wal');
    expect(parseSegmentFileName('journal-123456789.wal')).toBe(123456789);
    expect(parseSegmentFileName('journal-00000007.wal.compact.tmp')).toBeUndefined();
    const names = [3, 12, 100, 1].map(segmentFileName).sort();
    expect(names.map(parseSegmentFileName)).toEqual([1, 3, 12, 100]);
  });

  it('encodes the header with epoch and number, and detects any damage to it', () => {
    const buf = Buffer.alloc(SEGMENT_HEADER_BYTES);
    const h = { flags: 1, generation: 3, epoch: 2 ** 40 + 5, segmentNo: 42 };
    encodeSegmentHeader(h, buf);
    expect(decodeSegmentHeader(buf, buf.length)).toEqual(h);
    expect(decodeSegmentHeader(buf, 20)).toMatch(/truncated/);
    for (let i = 0; i < 36; i++) {
      const bad = Buffer.from(buf);
      bad[i]! ^= 0x10;
      expect(typeof decodeSegmentHeader(bad, bad.length)).toBe('string');
    }
  });
});
