import { describe, expect, it } from 'vitest';
import type { Message, WireFormatInfo } from '../../../protocols/openwire/codec/commands.js';
import { FrameSplitter } from '../../../protocols/openwire/codec/frame-splitter.js';
import { decodeTextContent, uncompressedContent } from '../../../protocols/openwire/codec/message-body.js';
import { LOOSE_V12, OpenWireFormat } from '../../../protocols/openwire/codec/open-wire-format.js';
import { decodePrimitiveMap, decodeTypedValues } from '../../../protocols/openwire/codec/primitive-map.js';
import { isMessageType, T } from '../../../protocols/openwire/codec/type-codes.js';
import { negotiate, wireFormatOptions, type WireFormatSettings } from '../../../protocols/openwire/codec/wire-format-info.js';
import { compareWithJava, sameTypedValue } from './java-compare.js';
import { directionFrames, hexBytes, loadScenarios, MODES, type Direction, type VectorFrame } from './vectors.js';

const MAX = 64 * 1024 * 1024;

/** Reads a peer's own advertisement back as settings, so negotiate() can play the receiving peer. */
function settingsOf(info: WireFormatInfo): WireFormatSettings {
  const o = wireFormatOptions(info);
  const b = (k: string): boolean => o.get(k)?.t === 'boolean' && (o.get(k) as { v: boolean }).v;
  const n = (k: string): number => Number((o.get(k) as { v: number | bigint } | undefined)?.v ?? 0);
  return {
    version: info.version, tightEncodingEnabled: b('TightEncodingEnabled'), cacheEnabled: b('CacheEnabled'),
    cacheSize: n('CacheSize'), stackTraceEnabled: b('StackTraceEnabled'), tcpNoDelayEnabled: b('TcpNoDelayEnabled'),
    maxInactivityDurationMs: n('MaxInactivityDuration'), maxInactivityInitialDelayMs: n('MaxInactivityDurationInitalDelay'),
    maxFrameBytes: n('MaxFrameSize'), providerName: '', providerVersion: '', platformDetails: '',
  };
}

function splitAll(stream: Buffer, chunk: number): Buffer[] {
  const s = new FrameSplitter(MAX);
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i += chunk) out.push(...s.push(stream.subarray(i, i + chunk)));
  expect(s.bufferedBytes).toBe(0);
  return out;
}

function checkBody(m: Message, body: Record<string, unknown>): string[] {
  const diffs: string[] = [];
  const props = body.propertiesInWireOrder as Array<{ name: string; t: string; v?: unknown; hex?: string }> | undefined;
  if (props) {
    const entries = decodePrimitiveMap(m.marshalledProperties!);
    if (entries.length !== props.length) diffs.push(`properties: ${entries.length} vs ${props.length}`);
    props.forEach((p, i) => {
      const e = entries[i];
      if (!e || e[0] !== p.name || !sameTypedValue(e[1], p)) diffs.push(`property ${p.name} differs`);
    });
  }
  const raw = m.content ? uncompressedContent(m.typeCode, m.content, m.compressed, MAX) : null;
  if (body.compressed !== m.compressed) diffs.push('compressed flag differs');
  if ('text' in body && (raw === null ? null : decodeTextContent(raw)) !== body.text) diffs.push('text differs');
  if ('map' in body) {
    const entries = decodePrimitiveMap(raw!);
    const jm = body.map as Record<string, { t: string }>;
    if (!sameTypedValue({ t: 'map', v: entries }, { t: 'HashMap', v: jm })) diffs.push('map differs');
  }
  if ('stream' in body) {
    const values = decodeTypedValues(raw!);
    if (!sameTypedValue({ t: 'list', v: values }, { t: 'ArrayList', v: body.stream })) diffs.push('stream differs');
  }
  return diffs;
}

describe('OpenWire codec against every captured frame', () => {
  for (const mode of MODES) {
    for (const scenario of loadScenarios(mode)) {
      describe(`${mode}/${scenario.scenario}`, () => {
        for (const conn of scenario.connections) {
          const frames: Record<Direction, VectorFrame[]> = { c2b: directionFrames(conn, 'c2b'), b2c: directionFrames(conn, 'b2c') };

          it(`connection ${conn.index}: frames split identically in 1, 7 and whole-stream chunks`, () => {
            for (const dir of ['c2b', 'b2c'] as const) {
              const stream = Buffer.concat(frames[dir].map((f) => hexBytes(f.hex)));
              for (const chunk of [1, 7, stream.length || 1]) {
                const split = splitAll(stream, chunk);
                expect(split.map((b) => b.toString('hex'))).toEqual(frames[dir].map((f) => f.hex.slice(8)));
                expect(split.map((b) => b[0])).toEqual(frames[dir].map((f) => f.type));
                expect(split.map((b) => b.length)).toEqual(frames[dir].map((f) => f.size));
              }
            }
          });

          it(`connection ${conn.index}: negotiation, decode = Java decode, re-encode = same bytes`, () => {
            const preNegotiation = new OpenWireFormat(LOOSE_V12);
            const wfi = (dir: Direction): WireFormatInfo => {
              const f = frames[dir][0]!;
              expect(f.type).toBe(T.WIREFORMAT_INFO);
              return preNegotiation.decode(hexBytes(f.hex).subarray(4)) as WireFormatInfo;
            };
            const client = wfi('c2b');
            const broker = wfi('b2c');
            for (const [dir, info] of [['c2b', client], ['b2c', broker]] as const) {
              const f = frames[dir][0]!;
              expect(compareWithJava(info, f.java.decoded, false)).toEqual([]);
              expect(preNegotiation.encode(info).toString('hex')).toBe(f.hex);
              const opts = wireFormatOptions(info);
              for (const [k, v] of Object.entries(f.java.properties ?? {})) expect(sameTypedValue(opts.get(k)!, v), k).toBe(true);
            }
            // Each peer negotiates from its own advertisement and the other's; both must agree.
            const atBroker = negotiate(settingsOf(broker), client).format;
            const atClient = negotiate(settingsOf(client), broker).format;
            expect(atBroker).toEqual(atClient);
            expect(atBroker.tightEncoding).toBe(mode === 'tight');
            expect(atBroker.cacheEnabled).toBe(mode === 'tight');
            expect(atBroker.stackTraceEnabled).toBe(mode !== 'broker-loose');
            expect(atBroker.version).toBe(12);

            for (const dir of ['c2b', 'b2c'] as const) {
              const decoder = new OpenWireFormat(atBroker);
              const encoder = new OpenWireFormat(atBroker);
              for (const f of frames[dir].slice(1)) {
                const bytes = hexBytes(f.hex);
                const decoded = decoder.decode(bytes.subarray(4));
                const where = `${dir}#${f.i} ${f.typeName}`;
                expect(compareWithJava(decoded, f.java.decoded, atBroker.stackTraceEnabled), where).toEqual([]);
                const msg = decoded.typeCode === T.MESSAGE_DISPATCH ? (decoded as unknown as { message: Message | null }).message : decoded;
                if (f.java.body && msg && isMessageType(msg.typeCode)) expect(checkBody(msg as Message, f.java.body), where).toEqual([]);
                expect(encoder.encode(decoded).toString('hex'), where).toBe(f.hex);
              }
            }
          });
        }
      });
    }
  }

  it('covers more than 900 frames', () => {
    let n = 0;
    for (const mode of MODES) for (const s of loadScenarios(mode)) for (const c of s.connections) n += c.frames.length;
    expect(n).toBeGreaterThan(900);
  });
});
