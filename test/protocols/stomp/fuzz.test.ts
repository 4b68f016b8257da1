import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../../protocols/stomp/codec/frame-decoder.js';
import { encodeFrame } from '../../../protocols/stomp/codec/frame-encoder.js';
import { RawClient } from './support/raw-client.js';
import { sleep, useStompBroker } from './support/fixture.js';
import { prng, seedFromEnv, type Prng } from './support/prng.js';

/**
 * Sends more than 10,000 random and mutated frames over many connections, then checks that a
 * well-behaved client is served, that the server only ever wrote well-formed frames, and that no
 * session leaked. Replay a failure with STOMP_FUZZ_SEED=<seed>.
 */
const stomp = useStompBroker({ limits: { maxFrameBytes: 16 * 1024, maxMessageBytes: 8 * 1024, maxHeaderBytes: 2048, maxHeaders: 32, idleTimeoutMs: 2000 } });

const FRAMES_TOTAL = 10_500;
const CONCURRENCY = 24;
/** Client commands, weighted towards the ones that keep a connection going. */
const CLIENT_COMMANDS = [
  'SEND', 'SEND', 'SEND', 'SEND', 'SEND', 'SUBSCRIBE', 'SUBSCRIBE', 'SUBSCRIBE', 'BEGIN', 'ACK', 'ACK', 'NACK', 'COMMIT', 'ABORT', 'UNSUBSCRIBE', 'DISCONNECT',
];
const OTHER_COMMANDS = ['CONNECT', 'STOMP', 'MESSAGE', 'ERROR', 'RECEIPT', 'send', 'SEN', ''];
const HEADERS = [
  'destination', 'id', 'ack', 'receipt', 'transaction', 'content-length', 'content-type', 'selector', 'persistent', 'priority',
  'expires', 'reply-to', 'correlation-id', 'message-id', 'subscription', 'activemq.prefetchSize', 'activemq.subscriptionName',
  'activemq.noLocal', 'browser', 'heart-beat', 'accept-version', 'client-id', 'amq-msg-type', 'JMSXGroupSeq', 'x',
];
const VALUES = [
  '/queue/fuzz.a', '/topic/fuzz.t', '/temp-queue/r', '/remote-temp-queue/ID:nope', 'fuzz.bare', '/queue/', '', 'client', 'client-individual',
  'auto', '1', '0', '-1', '999999999999', 'true', "a = 'b'", 'a = = b', '\\c\\n\\\\', '\\q', '1.2', '1.0,1.1,1.2', '10,10', 'x:y', 'é',
];

/** Headers that are valid wherever they appear, so that more frames get past validation. */
const VALID_EXTRAS: Array<[string, string]> = [
  ['persistent', 'true'], ['priority', '5'], ['expires', '0'], ['correlation-id', 'c'], ['content-type', 'text/plain'],
  ['selector', "a = 'b'"], ['activemq.prefetchSize', '5'], ['x', 'y'], ['a', 'b'], ['type', 'T'],
];

/** A plausible frame: a command, some headers, a body, sometimes with content-length. */
function plausibleFrame(rnd: Prng, subIds: string[]): Buffer {
  const command = rnd.next() < 0.95 ? rnd.pick(CLIENT_COMMANDS) : rnd.pick(OTHER_COMMANDS);
  const headers: Array<[string, string]> = [];
  if (command === 'SEND' || command === 'SUBSCRIBE') headers.push(['destination', rnd.next() < 0.8 ? rnd.pick(VALUES.slice(0, 3)) : rnd.pick(VALUES.slice(3, 6))]);
  if (command === 'SUBSCRIBE') headers.push(['id', `s${rnd.int(4)}`], ['ack', rnd.pick(['auto', 'client', 'client-individual'])]);
  if (command === 'ACK' || command === 'NACK') headers.push(['id', subIds.length > 0 && rnd.next() < 0.8 ? rnd.pick(subIds) : rnd.pick(['1', 's1'])]);
  if (command === 'UNSUBSCRIBE') headers.push(['id', `s${rnd.int(4)}`]);
  if (['BEGIN', 'COMMIT', 'ABORT'].includes(command)) headers.push(['transaction', `t${rnd.int(3)}`]);
  const extra = rnd.int(4);
  for (let i = 0; i < extra; i++) headers.push(rnd.next() < 0.7 ? rnd.pick(VALID_EXTRAS) : [rnd.pick(HEADERS), rnd.pick(VALUES)]);
  if (rnd.next() < 0.5) headers.push(['receipt', `r${rnd.int(1000)}`]);
  const body = rnd.next() < 0.3 ? rnd.bytes(rnd.int(64)) : Buffer.from('x'.repeat(rnd.int(32)));
  const declared = headers.some(([n]) => n === 'content-length');
  return encodeFrame(command, headers, declared ? body.filter((b) => b !== 0) : body, '1.2', rnd.next() < 0.3);
}

/** Flips, drops, duplicates or inserts bytes, or cuts the frame short. */
function mutate(rnd: Prng, frame: Buffer): Buffer {
  const bytes = [...frame];
  const edits = 1 + rnd.int(3);
  for (let i = 0; i < edits; i++) {
    const at = rnd.int(bytes.length + 1);
    switch (rnd.int(6)) {
      case 0: bytes[at] = rnd.int(256); break;
      case 1: bytes.splice(at, 1); break;
      case 2: bytes.splice(at, 0, rnd.pick([0, 10, 13, 58, 92])); break;
      case 3: bytes.splice(at, 0, ...bytes.slice(at, at + rnd.int(20))); break;
      case 4: bytes.length = Math.min(bytes.length, at); break;
      default: bytes.splice(at, 0, ...rnd.bytes(rnd.int(16))); break;
    }
  }
  return Buffer.from(bytes);
}

interface ConnectionResult {
  framesSent: number;
  malformedOutput?: string;
}

/** One fuzzing connection: an optional CONNECT, then frames written in random chunks. */
async function fuzzConnection(port: number, rnd: Prng, frames: number): Promise<ConnectionResult> {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    socket.once('connect', resolve);
    socket.once('close', resolve);
  });
  const decoder = new FrameDecoder({ maxFrameBytes: 1 << 20, maxHeaderBytes: 1 << 16, maxHeaders: 1000 });
  const subIds: string[] = [];
  const result: ConnectionResult = { framesSent: 0 };
  socket.on('data', (chunk: Buffer) => {
    const { frames: out, error } = decoder.push(chunk);
    if (error) result.malformedOutput = `${error.message} near ${error.snippet}`;
    for (const f of out) {
      const ack = f.headers.find(([n]) => n === 'ack');
      if (ack) subIds.push(ack[1]);
      if (f.command === 'ERROR' && !f.headers.some(([n]) => n === 'message')) result.malformedOutput = 'ERROR without message';
    }
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const garbage = rnd.next() < 0.1;
  if (!garbage && rnd.next() < 0.8) socket.write(encodeFrame('CONNECT', [['accept-version', rnd.pick(['1.2', '1.1', '1.0,1.1,1.2'])], ['host', 'fuzz']]));
  for (let i = 0; i < frames && !socket.destroyed; i++) {
    let frame = garbage ? rnd.bytes(1 + rnd.int(200)) : plausibleFrame(rnd, subIds);
    if (!garbage && rnd.next() < 0.15) frame = mutate(rnd, frame);
    let pos = 0;
    while (pos < frame.length && !socket.destroyed) {
      const size = 1 + rnd.int(frame.length);
      socket.write(frame.subarray(pos, pos + size));
      pos += size;
    }
    result.framesSent++;
    if (rnd.next() < 0.2) await sleep(0);
  }
  await Promise.race([closed, sleep(50)]);
  socket.destroy();
  await closed;
  return result;
}

describe('fuzzing', () => {
  it(`survives ${FRAMES_TOTAL} random and mutated frames and still serves a good client`, async () => {
    const seed = seedFromEnv();
    const rnd = prng(seed);
    console.log(`STOMP fuzz seed: ${seed} (replay with STOMP_FUZZ_SEED=${seed})`);
    const baselineSessions = stomp.broker.core.stats().sessions;
    let sent = 0;
    let connections = 0;
    const malformed: string[] = [];
    const worker = async (): Promise<void> => {
      while (sent < FRAMES_TOTAL) {
        const frames = 1 + rnd.int(12);
        sent += frames;
        connections++;
        const result = await fuzzConnection(stomp.tcpPort, prng(rnd.int(2 ** 31)), frames);
        if (result.malformedOutput) malformed.push(result.malformedOutput);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(sent, `seed ${seed}`).toBeGreaterThanOrEqual(FRAMES_TOTAL);
    expect(connections).toBeGreaterThan(500);
    expect(malformed, `seed ${seed}: the server wrote a malformed frame`).toEqual([]);

    // A well-behaved client is served as usual.
    const good = await RawClient.connected({ port: stomp.tcpPort });
    await good.request('SUBSCRIBE', { id: 'g', destination: '/queue/fuzz.after', ack: 'client-individual' });
    await good.request('SEND', { destination: '/queue/fuzz.after', persistent: 'true' }, 'still serving');
    const [m] = await good.messages(1);
    expect(m!.text).toBe('still serving');
    await good.request('ACK', { id: m!.headers.ack! });
    await good.request('DISCONNECT');
    good.close();

    // Every fuzzing session was closed.
    const deadline = Date.now() + 5000;
    while (stomp.broker.core.stats().sessions > baselineSessions && Date.now() < deadline) await sleep(50);
    expect(stomp.broker.core.stats().sessions, `seed ${seed}: leaked sessions`).toBe(baselineSessions);
  }, 60_000);
});
