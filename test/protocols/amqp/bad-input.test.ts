import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { types } from '../../../protocols/amqp/rhea-engine.js';
import { frame, FRAME_TYPE, protocolHeader } from '../../../protocols/amqp/wire.js';
import { describedList } from '../../../protocols/amqp/codec.js';
import type { TestBroker } from '../../helpers/broker.js';
import { startAmqpBroker } from './support/broker.js';
import { closeConnection, connect, openReceiver, openSender, receive, send, whenSendable } from './support/client.js';
import { amqpFrame, beginFrame, openFrame, PERFORMATIVE, rawFrame, RawAmqpClient } from './support/raw-client.js';

const MAX_FRAME = 4096;
let broker: TestBroker;
let port: number;

beforeAll(async () => {
  broker = await startAmqpBroker({ limits: { maxFrameBytes: MAX_FRAME, maxMessageBytes: MAX_FRAME / 2, idleTimeoutMs: 600 } });
  port = broker.ports.amqp!.tcp!;
});

afterAll(async () => {
  await broker?.stop();
});

async function rawClient(): Promise<RawAmqpClient> {
  return RawAmqpClient.connect(port);
}

/** After each bad peer the broker must still serve a real client. */
async function stillServes(): Promise<void> {
  const c = await connect(port);
  const q = `queue://alive.${Date.now()}.${Math.random()}`;
  const sender = await openSender(c, q);
  await whenSendable(sender);
  const receiver = await openReceiver(c, q);
  const got = receive(receiver, 1);
  await send(sender, { body: 'still here' });
  expect((await got)[0]!.message.body).toBe('still here');
  await closeConnection(c);
}

describe('protocol headers', () => {
  it('answers a non-AMQP header with its own header and closes', async () => {
    const c = await rawClient();
    c.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    expect((await c.read(8)).equals(protocolHeader(3))).toBe(true);
    await c.closed;
  });

  it('answers an unsupported AMQP version with the version it speaks and closes', async () => {
    const c = await rawClient();
    c.write(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]));
    expect((await c.read(8)).equals(protocolHeader(0))).toBe(true);
    await c.closed;
  });

  it('answers an unknown protocol id with the SASL header and closes', async () => {
    const c = await rawClient();
    c.write(Buffer.from([0x41, 0x4d, 0x51, 0x50, 2, 1, 0, 0]));
    expect((await c.read(8)).equals(protocolHeader(3))).toBe(true);
    await c.closed;
  });

  it('closes when a frame other than open comes first', async () => {
    const c = await rawClient();
    c.write(protocolHeader(0));
    c.write(beginFrame());
    await c.read(8);
    expect(await c.closeCondition()).toBe('amqp:illegal-state');
    await c.closed;
  });
});

describe('frames', () => {
  it('closes an oversized frame with amqp:connection:framing-error', async () => {
    const c = await rawClient();
    await c.openAnonymous();
    c.write(rawFrame(MAX_FRAME + 1, 2, 0, 0));
    expect(await c.closeCondition()).toBe('amqp:connection:framing-error');
    await c.closed;
  });

  it('closes a frame declaring 4 GiB without buffering it', async () => {
    const c = await rawClient();
    await c.openAnonymous();
    c.write(rawFrame(0xffff_ffff, 2, 0, 0, Buffer.alloc(100)));
    expect(await c.closeCondition()).toBe('amqp:connection:framing-error');
  });

  it('closes a frame shorter than its header or with a bad data offset', async () => {
    for (const bad of [rawFrame(4, 2, 0, 0), rawFrame(16, 1, 0, 0, Buffer.alloc(8)), rawFrame(12, 5, 0, 0, Buffer.alloc(4))]) {
      const c = await rawClient();
      await c.openAnonymous();
      c.write(bad);
      expect(await c.closeCondition()).toBe('amqp:connection:framing-error');
    }
  });

  it('closes an unknown performative with amqp:not-implemented', async () => {
    const c = await rawClient();
    await c.openAnonymous();
    c.write(amqpFrame(0x19, [types.wrap_uint(1)]));
    expect(await c.closeCondition()).toBe('amqp:not-implemented');
  });

  it('closes a malformed performative with amqp:decode-error', async () => {
    const c = await rawClient();
    await c.openAnonymous();
    // A begin whose list declares more fields than it holds.
    c.write(rawFrame(8 + 6, 2, 0, 0, Buffer.from([0x00, 0x53, 0x11, 0xc0, 0x10, 0x09])));
    expect(await c.closeCondition()).toBe('amqp:decode-error');
  });

  it('closes a frame body that is not a described type with amqp:decode-error', async () => {
    const c = await rawClient();
    await c.openAnonymous();
    c.write(rawFrame(8 + 3, 2, 0, 0, Buffer.from([0xa1, 0x01, 0x41])));
    expect(await c.closeCondition()).toBe('amqp:decode-error');
  });

  it('closes a performative that claims billions of items, without trying to hold them', async () => {
    const c = await rawClient();
    await c.openAnonymous();
    const started = Date.now();
    c.write(rawFrame(8 + 12, 2, 0, 0, Buffer.from([0x00, 0x53, 0x11, 0xd0, 0, 0, 0, 8, 0x7f, 0xff, 0xff, 0xff])));
    expect(await c.closeCondition()).toBe('amqp:decode-error');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('closes values nested deeper than any performative needs', async () => {
    const c = await rawClient();
    await c.openAnonymous();
    const depth = 200;
    const nested = Buffer.concat([Buffer.from([0x00, 0x53, 0x11]), Buffer.alloc(depth * 3).map((_, i) => [0xc0, 0, 1][i % 3]!), Buffer.from([0x40])]);
    // Each list8 claims one item and a size that holds the rest.
    for (let level = 0; level < depth; level++) nested[3 + level * 3 + 1] = (depth - level - 1) * 3 + 2;
    c.write(rawFrame(8 + nested.length, 2, 0, 0, nested));
    expect(await c.closeCondition()).toBe('amqp:decode-error');
  });

  it('rejects a message whose encoding is malformed, and keeps the link', async () => {
    const c = await connect(port);
    const sender = await openSender(c, `queue://malformed.${Date.now()}`);
    await whenSendable(sender);
    const bad = Buffer.from([0x00, 0x53, 0x77, 0xd0, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]);
    const result = await send(sender, bad, 0);
    expect(result.outcome).toBe('rejected');
    expect((result.delivery.remote_state as { error?: { condition?: string } }).error?.condition).toBe('amqp:decode-error');
    expect((await send(sender, { body: 'fine' })).outcome).toBe('accepted');
    await closeConnection(c);
  });

  it('closes a channel above channel-max', async () => {
    const c = await rawClient();
    await c.openAnonymous();
    c.write(beginFrame(40_000));
    expect(await c.closeCondition()).toBe('amqp:connection:framing-error');
  });

  it('closes a SASL frame in the AMQP layer', async () => {
    const c = await rawClient();
    await c.openAnonymous();
    c.write(frame(FRAME_TYPE.sasl, 0, describedList(0x41, [types.wrap_symbol('PLAIN')])));
    expect(await c.closeCondition()).toBe('amqp:connection:framing-error');
  });

  it('closes a transfer on a handle that was never attached', async () => {
    const c = await rawClient();
    await c.openAnonymous();
    c.write(beginFrame());
    c.write(amqpFrame(PERFORMATIVE.transfer, [types.wrap_uint(7), types.wrap_uint(0), types.wrap_binary(Buffer.from('t'))]));
    expect(await c.closeCondition()).toBe('amqp:decode-error');
  });

  it('closes a disposition over an absurd range instead of walking it', async () => {
    const c = await rawClient();
    await c.openAnonymous();
    c.write(beginFrame());
    c.write(amqpFrame(PERFORMATIVE.disposition, [types.wrap_boolean(true), types.wrap_uint(0), types.wrap_uint(0xffff_fff0), types.wrap_boolean(true)]));
    expect(await c.closeCondition()).toBe('amqp:invalid-field');
  });

  it('accepts the input one byte at a time', async () => {
    const c = await rawClient();
    const bytes = Buffer.concat([protocolHeader(0), openFrame('byte-by-byte'), beginFrame()]);
    for (const b of bytes) {
      c.write(Buffer.from([b]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await c.read(8)).equals(protocolHeader(0))).toBe(true);
    expect((await c.readFrame())?.code).toBe(PERFORMATIVE.open);
    expect((await c.readFrame())?.code).toBe(PERFORMATIVE.begin);
    c.destroy();
  });
});

describe('time limits', () => {
  it('closes a peer silent past the advertised idle-time-out with amqp:resource-limit-exceeded', async () => {
    const c = await rawClient();
    await c.openAnonymous();
    const started = Date.now();
    expect(await c.closeCondition(5000)).toBe('amqp:resource-limit-exceeded');
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });

  it('keeps a peer that sends heartbeats', async () => {
    const c = await connect(port);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(c.is_open()).toBe(true);
    await closeConnection(c);
  });
});

describe('afterwards', () => {
  it('still serves', stillServes);
});

describe('SASL', () => {
  let secured: TestBroker;
  let securedPort: number;

  beforeAll(async () => {
    secured = await startAmqpBroker({ core: { users: [{ username: 'app', password: 'secret' }], allowAnonymous: false } });
    securedPort = secured.ports.amqp!.tcp!;
  });

  afterAll(async () => {
    await secured?.stop();
  });

  it('accepts PLAIN with the right password', async () => {
    const c = await connect(securedPort, { username: 'app', password: 'secret' });
    expect(c.is_open()).toBe(true);
    await closeConnection(c);
  });

  it('refuses PLAIN with a wrong password', async () => {
    await expect(connect(securedPort, { username: 'app', password: 'wrong' })).rejects.toMatchObject({ condition: 'amqp:unauthorized-access' });
  });

  it('refuses ANONYMOUS when anonymous access is off', async () => {
    await expect(connect(securedPort, { username: 'anonymous' })).rejects.toMatchObject({ condition: 'amqp:unauthorized-access' });
  });

  it('refuses a connection without SASL with amqp:unauthorized-access', async () => {
    const c = await RawAmqpClient.connect(securedPort);
    c.write(protocolHeader(0));
    c.write(openFrame('no-sasl'));
    expect((await c.read(8)).equals(protocolHeader(0))).toBe(true);
    expect(await c.closeCondition()).toBe('amqp:unauthorized-access');
  });

  it('answers an unknown mechanism with a failed outcome', async () => {
    const c = await RawAmqpClient.connect(securedPort);
    c.write(protocolHeader(3));
    expect((await c.read(8)).equals(protocolHeader(3))).toBe(true);
    const mechanisms = await c.readFrame();
    expect(mechanisms?.code).toBe(0x40);
    c.write(frame(FRAME_TYPE.sasl, 0, describedList(0x41, [types.wrap_symbol('GSSAPI')])));
    const outcome = await c.readFrame();
    expect(outcome?.code).toBe(0x44);
    expect(outcome?.fields[0]?.value).toBe(1);
    await c.closed;
  });

  it('takes SASL and the AMQP header pipelined in one write', async () => {
    const c = await RawAmqpClient.connect(securedPort);
    const plain = Buffer.from('\0app\0secret');
    c.write(Buffer.concat([
      protocolHeader(3),
      frame(FRAME_TYPE.sasl, 0, describedList(0x41, [types.wrap_symbol('PLAIN'), types.wrap_binary(plain)])),
      protocolHeader(0),
      openFrame('pipelined'),
    ]));
    expect((await c.read(8)).equals(protocolHeader(3))).toBe(true);
    expect((await c.readFrame())?.code).toBe(0x40);
    const outcome = await c.readFrame();
    expect(outcome?.fields[0]?.value).toBe(0);
    expect((await c.read(8)).equals(protocolHeader(0))).toBe(true);
    expect((await c.readFrame())?.code).toBe(PERFORMATIVE.open);
    c.destroy();
  });
});
