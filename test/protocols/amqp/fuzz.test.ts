import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describedList, described, encode } from '../../../protocols/amqp/codec.js';
import { types } from '../../../protocols/amqp/rhea-engine.js';
import { frame, FRAME_TYPE, protocolHeader } from '../../../protocols/amqp/wire.js';
import type { TestBroker } from '../../helpers/broker.js';
import { startAmqpBroker } from './support/broker.js';
import { closeConnection, connect, openReceiver, openSender, receive, send, whenSendable } from './support/client.js';
import { amqpFrame, beginFrame, openFrame, PERFORMATIVE } from './support/raw-client.js';
import { seededRandom as prng } from '../../helpers/seeded-random.js';

/**
 * Mutation fuzzing: valid conversations (with and without SASL) with one frame replaced by a
 * mutated copy, seeded so that a failure can be replayed. The broker must neither crash nor
 * leak connections, and must serve a real client afterwards.
 */

const SEED = Number(process.env.AMQP_FUZZ_SEED ?? 0x5eed_a11);
const CASES = Number(process.env.AMQP_FUZZ_CASES ?? 10_000);
const CONCURRENCY = 16;

const u = (n: number) => types.wrap_uint(n);
const message = encode([
  describedList(0x70, [types.wrap_boolean(true)]),
  described(0x74, types.Map32([types.wrap_string('k'), types.wrap_int(5)])),
  described(0x77, types.wrap_string('fuzz')),
]);
const source = (address: string | undefined, extra: Array<ReturnType<typeof u> | undefined> = []) =>
  describedList(0x28, [address ? types.wrap_string(address) : undefined, ...extra]);
const target = (address: string) => describedList(0x29, [types.wrap_string(address)]);

/** One valid conversation, frame by frame (the header first). */
function conversation(sasl: boolean): Buffer[] {
  const amqp = [
    protocolHeader(0),
    openFrame('fuzzer'),
    beginFrame(),
    amqpFrame(PERFORMATIVE.attach, [types.wrap_string('out'), u(0), types.wrap_boolean(false), undefined, undefined, source(undefined), target('queue://fuzz')]),
    transferFrame(),
    amqpFrame(PERFORMATIVE.attach, [types.wrap_string('in'), u(1), types.wrap_boolean(true), undefined, undefined,
      source('queue://fuzz', [undefined, undefined, undefined, undefined, undefined, undefined, types.Map32([types.wrap_symbol('jms-selector'), described(0x0000_468c_0000_0004, types.wrap_string('k = 5'))])]),
      target('in')]),
    amqpFrame(PERFORMATIVE.flow, [u(1), u(1000), u(1), u(1000), u(1), u(0), u(10), undefined, types.wrap_boolean(false)]),
    amqpFrame(PERFORMATIVE.disposition, [types.wrap_boolean(true), u(0), u(0), types.wrap_boolean(true), describedList(0x24, [])]),
    amqpFrame(PERFORMATIVE.detach, [u(1), types.wrap_boolean(true)]),
    amqpFrame(PERFORMATIVE.end, []),
    amqpFrame(PERFORMATIVE.close, []),
  ];
  if (!sasl) return amqp;
  return [
    protocolHeader(3),
    frame(FRAME_TYPE.sasl, 0, describedList(0x41, [types.wrap_symbol('PLAIN'), types.wrap_binary(Buffer.from('\0user\0pass'))])),
    ...amqp,
  ];
}

function transferFrame(): Buffer {
  const performative = encode([describedList(PERFORMATIVE.transfer, [u(0), u(0), types.wrap_binary(Buffer.from('t0')), u(0)])]);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + performative.length + message.length, 0);
  header[4] = 2;
  return Buffer.concat([header, performative, message]);
}

function mutate(bytes: Buffer, random: () => number): Buffer {
  const b = Buffer.from(bytes);
  const pick = (n: number) => Math.floor(random() * n);
  switch (pick(6)) {
    case 0: // flip a few bits
      for (let i = 0, n = 1 + pick(8); i < n; i++) b[pick(b.length)]! ^= 1 << pick(8);
      return b;
    case 1: // overwrite bytes with random or boundary values
      for (let i = 0, n = 1 + pick(4); i < n; i++) b[pick(b.length)] = [0x00, 0xff, 0x7f, 0x80, 0x40, 0xa1, 0xd0, pick(256)][pick(8)]!;
      return b;
    case 2: // truncate (the size field still claims the whole frame)
      return b.subarray(0, pick(b.length));
    case 3: { // a random size field
      const out = Buffer.from(b);
      if (out.length >= 4) out.writeUInt32BE([0, 7, 8, out.length + 1, out.length - 1, 0xffff_ffff, pick(0x1_0000)][pick(7)]!, 0);
      return out;
    }
    case 4: // append garbage
      return Buffer.concat([b, Buffer.from(Array.from({ length: 1 + pick(32) }, () => pick(256)))]);
    default: { // swap a byte range with random bytes
      const at = pick(b.length);
      for (let i = at; i < Math.min(b.length, at + 1 + pick(16)); i++) b[i] = pick(256);
      return b;
    }
  }
}

function play(port: number, frames: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port }, () => {
      socket.write(Buffer.concat(frames));
      // Let the broker answer a little, then go (half of the time abruptly).
      setTimeout(() => (frames.length % 2 === 0 ? socket.end() : socket.destroy()), 5);
    });
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
    socket.setTimeout(5000, () => socket.destroy());
  });
}

let broker: TestBroker;
let port: number;

beforeAll(async () => {
  broker = await startAmqpBroker({ limits: { maxConnections: 10_000 } });
  port = broker.ports.amqp!.tcp!;
});

afterAll(async () => {
  await broker?.stop();
});

it(`survives ${CASES} mutated frames (seed ${SEED})`, { timeout: 300_000 }, async () => {
  const random = prng(SEED);
  // Cases are made one at a time: the broker shares this event loop (and its HA lease).
  const nextCase = (): Buffer[] => {
    const frames = conversation(random() < 0.25);
    const at = Math.floor(random() * frames.length);
    frames[at] = mutate(frames[at]!, random);
    return frames;
  };
  let played = 0;
  const worker = async (): Promise<void> => {
    while (played < CASES) {
      played++;
      await play(port, nextCase());
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));

  const amqp = broker.broker.adapters.find((a) => a.name === 'amqp')!;
  for (let i = 0; i < 100 && amqp.connectionCount > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(amqp.connectionCount).toBe(0);

  const c = await connect(port);
  const sender = await openSender(c, 'queue://after-fuzz');
  await whenSendable(sender);
  const receiver = await openReceiver(c, 'queue://after-fuzz');
  const got = receive(receiver, 1);
  await send(sender, { body: 'alive' });
  expect((await got)[0]!.message.body).toBe('alive');
  await closeConnection(c);
});
