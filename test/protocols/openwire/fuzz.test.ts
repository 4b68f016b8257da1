import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import type { ConnectionInfo, Message } from '../../../protocols/openwire/codec/commands.js';
import { DataWriter } from '../../../protocols/openwire/codec/data-writer.js';
import { LOOSE_V12, OpenWireFormat } from '../../../protocols/openwire/codec/open-wire-format.js';
import { T } from '../../../protocols/openwire/codec/type-codes.js';
import { answers, feedLikeAClient, flushIo, startHarness, type Harness } from './memory-transport.js';
import { directionFrames, hexBytes, loadScenarios, type VectorFrame } from './vectors.js';
import { seededRandom as prng } from '../../helpers/seeded-random.js';

const SEED = Number(process.env.OPENWIRE_FUZZ_SEED ?? 0x5eed);
const ITERATIONS = 10_000;
const EXTREMES = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

const format = new OpenWireFormat(LOOSE_V12);
const clientWfi = directionFrames(loadScenarios('broker-loose')[0]!.connections[0]!, 'c2b')[0]!;
/** Every client frame after the WireFormatInfo in the loose captures: the corpus. */
const corpus: Buffer[] = [];
for (const mode of ['loose', 'broker-loose'] as const) {
  for (const s of loadScenarios(mode)) for (const c of s.connections) for (const f of directionFrames(c, 'c2b').slice(1)) corpus.push(hexBytes(f.hex));
}

function connectionInfo(n: number): Buffer {
  const info: ConnectionInfo = {
    typeCode: T.CONNECTION_INFO, commandId: 1, responseRequired: true, connectionId: { typeCode: T.CONNECTION_ID, value: `ID:fuzz-${n}:1` },
    clientId: null, password: null, userName: null, brokerPath: null, brokerMasterConnector: false, manageable: true,
    clientMaster: true, faultTolerant: false, failoverReconnect: false, clientIp: null,
  };
  return format.encode(info);
}

/** One mutation of a frame; most keep the size prefix in line with the (changed) body. */
function mutate(frame: Buffer, rnd: () => number): Buffer {
  const int = (n: number): number => Math.floor(rnd() * n);
  const body = Buffer.from(frame.subarray(4));
  let out: Buffer = body;
  switch (int(8)) {
    case 0: for (let i = 0, n = 1 + int(8); i < n; i++) out[int(out.length)]! ^= 1 << int(8); break;
    case 1: for (let i = 0, n = 1 + int(4); i < n; i++) out[int(out.length)] = int(256); break;
    case 2: out = body.subarray(0, int(body.length)); break;
    case 3: {
      const at = int(body.length);
      out = Buffer.concat([body.subarray(0, at), Buffer.from(Array.from({ length: 1 + int(8) }, () => int(256))), body.subarray(at)]);
      break;
    }
    case 4: {
      // An extreme 2- or 4-byte value (a string, array or byte-array length) somewhere inside.
      const at = int(Math.max(1, body.length - 4));
      const v = EXTREMES[int(EXTREMES.length)]!;
      if (rnd() < 0.5) out.writeUInt16BE(v & 0xffff, at);
      else if (at + 4 <= out.length) out.writeUInt32BE(v >>> 0, at);
      break;
    }
    case 5: out[0] = int(256); break;
    case 6: out = Buffer.concat([body.subarray(0, int(body.length)), corpus[int(corpus.length)]!.subarray(4 + int(8))]); break;
    case 7: {
      // An absurd size prefix: the body is not what it announces.
      const head = Buffer.alloc(4);
      head.writeUInt32BE(EXTREMES[int(EXTREMES.length)]! >>> 0, 0);
      return Buffer.concat([head, body]);
    }
  }
  const head = Buffer.alloc(4);
  head.writeInt32BE(out.length, 0);
  return Buffer.concat([head, out]);
}

describe('OpenWire fuzzing', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ maxFrameBytes: 1 << 20, maxMessageBytes: 1 << 20 });
  });
  afterAll(() => h.stop());

  it(`survives ${ITERATIONS} mutated frames (seed ${SEED}) and keeps serving`, async () => {
    const rnd = prng(SEED);
    let closedByBroker = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const t = h.connect();
      const prefix = rnd() < 0.9 ? Buffer.concat([hexBytes(clientWfi.hex), connectionInfo(i)]) : Buffer.alloc(0);
      const frames = [mutate(corpus[Math.floor(rnd() * corpus.length)]!, rnd)];
      if (rnd() < 0.3) frames.push(mutate(corpus[Math.floor(rnd() * corpus.length)]!, rnd));
      const stream = Buffer.concat([prefix, ...frames]);
      t.feed(stream, rnd() < 0.2 ? 1 + Math.floor(rnd() * 16) : stream.length);
      await flushIo();
      if (t.destroyed) closedByBroker++;
      t.destroy();
      if (i % 500 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(h.errors).toEqual([]);
    expect(closedByBroker).toBeGreaterThan(ITERATIONS / 10);
    expect(h.core.serving).toBe(true);
    await expectStillServing(h);
  }, 120_000);

  it('refuses absurd lengths without allocating them', async () => {
    const wfi = hexBytes(clientWfi.hex);
    const w = new DataWriter();
    const frames: Buffer[] = [];
    const frame = (build: (w: DataWriter) => void): Buffer => {
      w.reset();
      w.i32(0);
      build(w);
      w.buf.writeInt32BE(w.pos - 4, 0);
      return w.toBuffer();
    };
    // A size prefix of 2 GiB, and a negative one.
    frames.push(Buffer.from([0x7f, 0xff, 0xff, 0xff, T.ACTIVEMQ_TEXT_MESSAGE]));
    frames.push(Buffer.from([0xff, 0xff, 0xff, 0xff, T.ACTIVEMQ_TEXT_MESSAGE]));
    // A string claiming 65535 bytes in a 10-byte frame (ControlCommand: hdr, str).
    frames.push(frame((x) => { x.u8(T.CONTROL_COMMAND); x.i32(1); x.bool(false); x.bool(true); x.i16(0xffff); }));
    // A byte array claiming 2^31-1 bytes (ConnectionControl's token is the last field).
    frames.push(frame((x) => { x.u8(T.CONNECTION_CONTROL); x.i32(1); x.bool(false); for (let i = 0; i < 5; i++) x.bool(false); x.bool(false); x.bool(false); x.bool(false); x.bool(true); x.i32(0x7fffffff); }));
    // An array claiming 32767 elements, none present (ConnectionInfo brokerPath).
    frames.push(frame((x) => { x.u8(T.CONNECTION_INFO); x.i32(1); x.bool(true); x.bool(false); x.bool(false); x.bool(false); x.bool(false); x.bool(true); x.i16(0x7fff); }));
    // Nested structures 10,000 deep (Message.dataStructure → Message → ...): refused by depth.
    frames.push(frame((x) => {
      x.u8(T.MESSAGE_DISPATCH); x.i32(1); x.bool(false);
      x.bool(false); x.bool(false);
      for (let i = 0; i < 10_000; i++) { x.bool(true); x.u8(T.MESSAGE_DISPATCH); x.i32(0); x.bool(false); x.bool(false); x.bool(false); }
    }));
    for (const bad of frames) {
      const t = h.connect();
      t.feed(Buffer.concat([wfi, connectionInfo(99_999_000 + frames.indexOf(bad)), bad]));
      await flushIo();
      expect(t.destroyed, `frame ${frames.indexOf(bad)}`).toBe(true);
    }
    // Messages with absurd insides are refused (MessageFormatException), the connection stays:
    // properties claiming 2^31-1 entries, a text claiming 2^31-1 bytes, a zlib bomb.
    const text = format.decode(corpus.find((f) => f[4] === T.ACTIVEMQ_TEXT_MESSAGE && f[9] === 1)!.subarray(4)) as Message;
    const bomb = deflateSync(Buffer.alloc(64 << 20));
    const bad: Array<Partial<Message>> = [
      { marshalledProperties: Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 1, 0x41, 0]) },
      { content: Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x41]) },
      { content: bomb, compressed: true },
    ];
    const t = h.connect();
    t.feed(Buffer.concat([wfi, connectionInfo(99_999_999)]));
    bad.forEach((b, i) => {
      // Each its own producer sequence id, or the producer audit would take it for a replay.
      const producerId = { ...text.producerId!, connectionId: 'ID:absurd-lengths:1' };
      const messageId = { ...text.messageId!, producerId, producerSequenceId: 1 + i };
      t.feed(format.encode({ ...text, ...b, producerId, messageId, commandId: 100 + i, responseRequired: true, expiration: 0 } as Message));
    });
    await new Promise((r) => setTimeout(r, 50));
    const failures = t.frames().filter((f) => f.typeCode === T.EXCEPTION_RESPONSE) as Array<{ correlationId: number; exception: { className: string } }>;
    expect(failures.map((f) => f.correlationId)).toEqual([100, 101, 102]);
    expect(failures.every((f) => f.exception.className === 'javax.jms.MessageFormatException')).toBe(true);
    expect(t.destroyed).toBe(false);
    t.destroy();
    expect(h.errors).toEqual([]);
    await expectStillServing(h);
  });
});

/** A captured client conversation still gets every answer. */
async function expectStillServing(h: Harness): Promise<void> {
  const s = loadScenarios('broker-loose').find((x) => x.scenario === '03-transacted')!;
  const c2b: VectorFrame[] = directionFrames(s.connections[0]!, 'c2b');
  const t = h.connect();
  await feedLikeAClient(t, c2b);
  const frames = t.frames();
  for (const f of c2b.filter((x) => x.java.decoded.responseRequired === true)) {
    expect(frames.some((r) => answers(r, f.java.decoded.commandId as number) && r.typeCode === T.RESPONSE)).toBe(true);
  }
}
