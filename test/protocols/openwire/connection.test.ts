import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Command, Message, MessageDispatch, Response } from '../../../protocols/openwire/codec/commands.js';
import { T } from '../../../protocols/openwire/codec/type-codes.js';
import { nextState } from '../../../protocols/openwire/connection.js';
import { feedLikeAClient, flushIo, startHarness, type Harness } from './memory-transport.js';
import { directionFrames, hexBytes, loadScenarios } from './vectors.js';

/** The client side of broker-loose/01 (a default 5.17 client against a loose broker). */
const scenario01 = loadScenarios('broker-loose').find((s) => s.scenario === '01-queue-send-receive')!;
const c2b = directionFrames(scenario01.connections[0]!, 'c2b');
const clientStream = Buffer.concat(c2b.map((f) => hexBytes(f.hex)));

async function settle(ms = 20): Promise<void> {
  await flushIo();
  await new Promise((r) => setTimeout(r, ms));
  await flushIo();
}

describe('OpenWire connection', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('sends its WireFormatInfo first, then BrokerInfo once the client has sent its own', async () => {
    const t = h.connect();
    expect(t.frames().map((f) => f.typeCode)).toEqual([T.WIREFORMAT_INFO]);
    t.feed(hexBytes(c2b[0]!.hex));
    await settle();
    expect(t.frames().map((f) => f.typeCode)).toEqual([T.WIREFORMAT_INFO, T.BROKER_INFO]);
  });

  for (const chunk of [1, 7, clientStream.length]) {
    it(`serves a captured client conversation fed ${chunk === 1 ? 'one byte at a time' : `in ${chunk}-byte chunks`}`, async () => {
      const t = h.connect();
      await feedLikeAClient(t, c2b, chunk);
      await settle(50);
      const frames = t.frames();
      const responses = frames.filter((f): f is Response => f.typeCode === T.RESPONSE).map((f) => f.correlationId);
      const requests = c2b.filter((f) => f.java.decoded.responseRequired === true).map((f) => f.java.decoded.commandId as number);
      expect(responses.sort((a, b) => a - b)).toEqual(requests);
      expect(frames.filter((f) => f.typeCode === T.EXCEPTION_RESPONSE)).toEqual([]);
      const dispatched = frames.filter((f): f is MessageDispatch => f.typeCode === T.MESSAGE_DISPATCH && (f as MessageDispatch).message !== null);
      // The captured messages' absolute expiry times are long past, except where they have none.
      const live = c2b.filter((f) => f.type >= 23 && f.type <= 28 && Number(f.java.decoded.expiration) === 0).map((f) => f.type);
      expect(dispatched.map((d) => d.message!.typeCode)).toEqual(live);
      expect(live.length).toBe(3);
      // Broker sequence ids rise.
      const seqs = dispatched.map((d) => Number(d.message!.messageId!.brokerSequenceId));
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(seqs.length);
      // The first message comes back with the producer's own content and properties.
      const sent = c2b.find((f) => f.type === T.ACTIVEMQ_BYTES_MESSAGE)!.java.decoded as { content: { hex: string }; marshalledProperties: { hex: string } };
      const first = dispatched[0]!.message as Message;
      expect(Buffer.from(first.content!).toString('hex')).toBe(sent.content.hex);
      expect(Buffer.from(first.marshalledProperties!).toString('hex')).toBe(sent.marshalledProperties.hex);
      expect(h.errors).toEqual([]);
      expect(t.closed).toBe(true); // ShutdownInfo at the end
    });
  }

  it('closes a connection whose frame is larger than maxFrameBytes, without buffering it', async () => {
    await h.stop();
    h = await startHarness({ maxFrameBytes: 4096 });
    const t = h.connect();
    t.feed(hexBytes(c2b[0]!.hex));
    const huge = Buffer.alloc(8);
    huge.writeInt32BE(4097, 0);
    huge[4] = T.ACTIVEMQ_TEXT_MESSAGE;
    t.feed(huge);
    await settle();
    expect(t.destroyed).toBe(true);
  });

  it('closes on a bad magic, on a first frame that is not a WireFormatInfo, and on an unknown type', async () => {
    const badMagic = hexBytes(c2b[0]!.hex);
    badMagic[5] ^= 0xff;
    const notWfi = hexBytes(c2b[1]!.hex);
    const unknown = Buffer.from([0, 0, 0, 2, 0xee, 0]);
    for (const bytes of [badMagic, notWfi, Buffer.concat([hexBytes(c2b[0]!.hex), unknown])]) {
      const t = h.connect();
      t.feed(bytes);
      await settle();
      expect(t.destroyed).toBe(true);
    }
    expect(h.errors).toEqual([]);
  });

  it('answers commands before ConnectionInfo with an ExceptionResponse', async () => {
    const t = h.connect();
    t.feed(hexBytes(c2b[0]!.hex));
    const producerInfo = c2b.find((f) => f.type === T.PRODUCER_INFO)!;
    t.feed(hexBytes(producerInfo.hex));
    await settle();
    const last = t.frames().at(-1) as Command & { correlationId?: number; exception?: { className: string } };
    expect(last.typeCode).toBe(T.EXCEPTION_RESPONSE);
    expect(last.correlationId).toBe(producerInfo.java.decoded.commandId);
    expect(last.exception?.className).toBe('javax.jms.IllegalStateException');
  });

  it('closes a connection that sends no WireFormatInfo in time', async () => {
    await h.stop();
    h = await startHarness({ connectTimeoutMs: 30 });
    const t = h.connect();
    await settle(80);
    expect(t.destroyed).toBe(true);
  });

  it('has one transition function for its states', () => {
    expect(nextState('negotiating', 'negotiated')).toBe('open');
    expect(nextState('open', 'connected')).toBe('connected');
    expect(nextState('connected', 'disconnected')).toBe('open');
    expect(nextState('connected', 'closed')).toBe('closed');
    expect(() => nextState('negotiating', 'connected')).toThrow();
  });
});
