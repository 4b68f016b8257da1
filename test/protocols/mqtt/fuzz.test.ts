import { connect } from 'node:net';
import { generate, type IPublishPacket, type Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MqttProtocolError } from '../../../protocols/mqtt/errors.js';
import { decodePacket } from '../../../protocols/mqtt/packet-codec.js';
import { MqttHarness } from './mqtt-harness.js';
import { RawClient } from './raw-client.js';
import { seededRandom as random } from '../../helpers/seeded-random.js';

const SEED = Number(process.env['MQTT_FUZZ_SEED'] ?? 20240607);

function corpus(level: 3 | 4 | 5): Buffer[] {
  const v5 = level === 5;
  const props = v5 ? { userProperties: { a: 'b', __proto__: 'x' } as Record<string, string>, contentType: 'c', correlationData: Buffer.from([1]) } : undefined;
  const packets: Packet[] = [
    { cmd: 'publish', topic: 'f/a', payload: Buffer.from('payload'), qos: 0, dup: false, retain: false, ...(v5 ? { properties: props } : {}) },
    { cmd: 'publish', topic: 'f/b/c', payload: Buffer.alloc(40, 7), qos: 1, messageId: 7, dup: false, retain: true },
    { cmd: 'publish', topic: 'f/q2', payload: Buffer.from('two'), qos: 2, messageId: 8, dup: false, retain: false, ...(v5 ? { properties: { topicAlias: 2, messageExpiryInterval: 9 } } : {}) },
    { cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'f/#', qos: 2 }, { topic: '$share/g/f/+', qos: 1 }], ...(v5 ? { properties: { subscriptionIdentifier: 5 } } : {}) },
    { cmd: 'unsubscribe', messageId: 4, unsubscriptions: ['f/#', 'x/+'] },
    { cmd: 'puback', messageId: 1 },
    { cmd: 'pubrec', messageId: 2 },
    { cmd: 'pubrel', messageId: 8 },
    { cmd: 'pubcomp', messageId: 2 },
    { cmd: 'pingreq' },
    { cmd: 'disconnect', ...(v5 ? { reasonCode: 0x04, properties: { sessionExpiryInterval: 5 } } : {}) },
  ];
  if (v5) packets.push({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'm' } });
  return packets.map((p) => generate(p as Packet, { protocolVersion: level }));
}

function connectPacket(level: 3 | 4 | 5, i: number): Buffer {
  return generate({
    cmd: 'connect', protocolId: level === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: level, clean: i % 3 !== 0, keepalive: 30,
    clientId: `fuzz-${i % 40}`,
    ...(i % 5 === 0 ? { will: { topic: 'f/will', payload: Buffer.from('w'), qos: 1, retain: false } } : {}),
    ...(level === 5 ? { properties: { sessionExpiryInterval: i % 2 ? 10 : 0, receiveMaximum: 3, topicAliasMaximum: 2 } } : {}),
  } as Packet, { protocolVersion: level });
}

function mutate(bytes: Buffer, rnd: () => number): Buffer {
  const b = Buffer.from(bytes);
  const pick = (n: number): number => Math.floor(rnd() * n);
  switch (pick(8)) {
    case 0: { // flip bits
      for (let k = 0; k < 1 + pick(3); k++) b[pick(b.length)]! ^= 1 << pick(8);
      return b;
    }
    case 1: { // random bytes
      for (let k = 0; k < 1 + pick(4); k++) b[pick(b.length)] = pick(256);
      return b;
    }
    case 2: // truncate
      return b.subarray(0, pick(b.length));
    case 3: { // insert garbage
      const at = pick(b.length);
      return Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + pick(8) }, () => pick(256))), b.subarray(at)]);
    }
    case 4: { // the length byte
      b[1] = pick(256);
      return b;
    }
    case 5: { // the header byte (type and flags)
      b[0] = pick(256);
      return b;
    }
    case 6: { // a duplicated slice
      const from = pick(b.length);
      return Buffer.concat([b, b.subarray(from, from + 1 + pick(16))]);
    }
    default: { // boundary values in a 16-bit field
      const at = pick(Math.max(1, b.length - 1));
      b.writeUInt16BE([0, 0xffff, 0x8000, 1][pick(4)]!, Math.min(at, b.length - 2));
      return b;
    }
  }
}

test('the decoder survives 100,000 mutated packets: a packet or an MqttProtocolError, nothing else', () => {
  const rnd = random(SEED);
  const sources = ([3, 4, 5] as const).map((level) => ({ level, packets: [connectPacket(level, 1), ...corpus(level)] }));
  let errors = 0;
  for (let i = 0; i < 100_000; i++) {
    const { level, packets } = sources[i % 3]!;
    const source = packets[Math.floor(rnd() * packets.length)]!;
    const bytes = mutate(source, rnd);
    if (bytes.length < 2) continue;
    try {
      decodePacket(bytes, bytes[0]! >> 4 === 1 ? undefined : level);
    } catch (e) {
      if (!(e instanceof MqttProtocolError)) throw new Error(`seed ${SEED}, packet ${i}: ${String(e)} for ${bytes.toString('hex')}`);
      errors++;
    }
  }
  expect(errors).toBeGreaterThan(10_000);
}, 60_000);

describe.each(['memory', 'journal'] as const)('over sockets, %s store', (storeKind) => {
  let h: MqttHarness;
  beforeAll(async () => {
    h = await MqttHarness.start({ receiveMaximum: 8, maxQueuedMessages: 50, connectTimeoutMs: 2000 }, {}, storeKind);
  });
  afterAll(async () => h?.stop());

  test('the broker survives 10,000+ mutated packets (among 30,000) over 300 connections and still serves', async () => {
    const rnd = random(SEED + 1);
    const pick = (n: number): number => Math.floor(rnd() * n);
    let mutated = 0;
    const run = async (i: number): Promise<void> => {
      const level = ([3, 4, 5] as const)[i % 3]!;
      const packets = corpus(level);
      const parts: Buffer[] = [i % 10 === 0 ? mutate(connectPacket(level, i), rnd) : connectPacket(level, i)];
      for (let k = 0; k < 100; k++) {
        const source = packets[pick(packets.length)]!;
        if (rnd() < 0.35) {
          parts.push(mutate(source, rnd));
          mutated++;
        } else {
          parts.push(source);
        }
      }
      const stream = Buffer.concat(parts);
      const socket = connect({ host: '127.0.0.1', port: h.port });
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      // Written in random chunk sizes, so that packets straddle reads.
      for (let at = 0; at < stream.length && !socket.destroyed;) {
        const size = 1 + pick(300);
        socket.write(stream.subarray(at, at + size));
        at += size;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          socket.destroy();
          resolve();
        }, 150);
        socket.once('close', () => {
          clearTimeout(t);
          resolve();
        });
      });
    };
    for (let batch = 0; batch < 300; batch += 30) {
      await Promise.all(Array.from({ length: 30 }, (_, k) => run(batch + k)));
    }
    expect(mutated).toBeGreaterThanOrEqual(10_000);

    // Still serving, with a clean protocol exchange.
    const sub = await RawClient.connected(h.port, 5);
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'after/#', qos: 2 }] });
    await sub.next('suback');
    const pub = await RawClient.connected(h.port, 4);
    pub.send({ cmd: 'publish', topic: 'after/fuzz', payload: Buffer.from('fine'), qos: 1, messageId: 1, dup: false, retain: false });
    await pub.next('puback');
    expect((await sub.next<IPublishPacket>('publish')).payload.toString()).toBe('fine');
    sub.close();
    pub.close();
    // Every fuzzing connection is gone.
    const deadline = Date.now() + 5000;
    while (h.adapter.connectionCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(h.adapter.connectionCount).toBe(0);
  }, 60_000);
});
