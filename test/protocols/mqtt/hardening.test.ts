import { generate, type IConnackPacket, type IDisconnectPacket, type IPubcompPacket, type IPublishPacket, type ISubackPacket, type Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sleep } from './mqtt-client.js';
import { MqttHarness } from './mqtt-harness.js';
import { RawClient, connectBytes } from './raw-client.js';

/**
 * Bad input, item by item (the list comes from aedes' advisories): each is answered as the spec
 * says — CONNACK/SUBACK/PUBACK codes or a closed connection, a DISCONNECT first for 5.0 — and
 * the broker keeps serving.
 */
let h: MqttHarness;
const raws: RawClient[] = [];

beforeAll(async () => {
  h = await MqttHarness.start({ receiveMaximum: 4, maxTopicLevels: 16, maxPacketBytes: 64 * 1024, drainTimeoutMs: 300, writeHighWaterMarkBytes: 16 * 1024 });
});
afterAll(async () => {
  for (const r of raws) r.close();
  await h?.stop();
});

async function open(level: 3 | 4 | 5 = 4): Promise<RawClient> {
  const r = await RawClient.open(h.port, level);
  raws.push(r);
  return r;
}

async function connected(level: 4 | 5 = 4, extra: Record<string, unknown> = {}): Promise<RawClient> {
  const r = await RawClient.connected(h.port, level, extra);
  raws.push(r);
  return r;
}

function pub(topic: string, payload: string | Buffer, qos: 0 | 1 | 2, messageId?: number, retain = false): Packet {
  return { cmd: 'publish', topic, payload, qos, messageId, dup: false, retain } as Packet;
}

/** A subscriber that must still receive after each bad client: the broker keeps serving. */
async function stillServes(): Promise<void> {
  const sub = await connected(4);
  sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'alive/#', qos: 1 }] });
  await sub.next('suback');
  const p = await connected(4);
  p.send(pub('alive/x', 'ok', 1, 1));
  await p.next('puback');
  expect((await sub.next<IPublishPacket>('publish')).payload.toString()).toBe('ok');
  sub.close();
  p.close();
}

describe('hardening', () => {
  test('packets before CONNECT close the connection, without CONNACK [MQTT-3.1.0-1]', async () => {
    for (const packet of [pub('a', 'x', 0), { cmd: 'pingreq' }, { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 0 }] }] as Packet[]) {
      const r = await open();
      r.send(packet);
      await r.waitClosed();
      expect(r.received).toEqual([]);
    }
    await stillServes();
  });

  test('a second CONNECT is a protocol error [MQTT-3.1.0-2]', async () => {
    const r = await connected(5);
    r.sendRaw(connectBytes(5, 'again', true));
    expect((await r.next<IDisconnectPacket>('disconnect')).reasonCode).toBe(0x82);
    await r.waitClosed();
  });

  test('client id length: longer than the maximum is refused (0x02 / 0x85)', async () => {
    const r4 = await open(4);
    r4.sendRaw(connectBytes(4, 'x'.repeat(257), true));
    expect((await r4.next<IConnackPacket>('connack')).returnCode).toBe(2);
    await r4.waitClosed();
    const r5 = await open(5);
    r5.sendRaw(connectBytes(5, 'x'.repeat(257), true));
    expect((await r5.next<IConnackPacket>('connack')).reasonCode).toBe(0x85);
    await r5.waitClosed();
    const ok = await open(4);
    ok.sendRaw(connectBytes(4, 'x'.repeat(256), true));
    expect((await ok.next<IConnackPacket>('connack')).returnCode).toBe(0);
  });

  test('client ids, topics, retained topics and user properties named like prototype keys', async () => {
    const names = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', '__defineGetter__'];
    for (const name of names) {
      const sub = await connected(5, { clientId: name, clean: false, properties: { sessionExpiryInterval: 60 } });
      sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `${name}/#`, qos: 1 }, { topic: name, qos: 1 }] });
      expect((await sub.next<ISubackPacket>('suback')).granted).toEqual([1, 1]);
      const p = await connected(5, { clientId: `${name}-pub` });
      const userProperties = Object.create(null) as Record<string, string>;
      userProperties[name] = name;
      p.send({ ...pub(name, 'plain', 1, 1, true), properties: { userProperties } } as Packet);
      await p.next('puback');
      p.send(pub(`${name}/${name}`, 'nested', 1, 2));
      await p.next('puback');
      const got = [await sub.next<IPublishPacket>('publish'), await sub.next<IPublishPacket>('publish')];
      for (const m of got) sub.send({ cmd: 'puback', messageId: m.messageId! });
      expect(got.map((m) => m.topic).sort()).toEqual([name, `${name}/${name}`].sort());
      expect(got.find((m) => m.topic === name)!.properties!.userProperties![name]).toBe(name);
      await sleep(20);
      sub.close();
      // the persistent session and the retained message come back under that name
      const again = await open(5);
      again.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: false, keepalive: 0, clientId: name, properties: { sessionExpiryInterval: 60 } });
      expect((await again.next<IConnackPacket>('connack')).sessionPresent).toBe(true);
      again.send({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: `r/${name}`, qos: 0 }, { topic: name, qos: 0 }] });
      await again.next('suback');
      const retained = await again.next<IPublishPacket>('publish');
      expect([retained.topic, retained.retain]).toEqual([name, true]);
      again.close();
      p.close();
    }
    expect(Object.prototype).not.toHaveProperty('plain');
    await stillServes();
  });

  test('invalid UTF-8 or U+0000 in a topic, a filter or the client id closes the connection [MQTT-1.5.4-1]', async () => {
    const badTopic = Buffer.from([0x61, 0xc3, 0x28]);
    const publish = Buffer.concat([Buffer.from([0x30, 2 + badTopic.length + 1, 0, badTopic.length]), badTopic, Buffer.from('x')]);
    const r = await connected(5);
    r.sendRaw(publish);
    expect((await r.next<IDisconnectPacket>('disconnect')).reasonCode).toBe(0x81);
    await r.waitClosed();

    const subscribeBody = Buffer.concat([Buffer.from([0, 1, 0, 3, 0x61, 0x00, 0x62, 0])]); // filter "a\0b"
    const r2 = await connected(4);
    r2.sendRaw(Buffer.concat([Buffer.from([0x82, subscribeBody.length]), subscribeBody]));
    await r2.waitClosed();

    const r3 = await open(4);
    r3.sendRaw(connectBytes(4, Buffer.from([0x61, 0xff]), true));
    await r3.waitClosed();
    expect(r3.received).toEqual([]);
    await stillServes();
  });

  test('wildcards in a PUBLISH topic: 0x90 for 5.0, closed for 3.1.1 [MQTT-3.3.2-2]', async () => {
    for (const topic of ['a/+', 'a/#', '#', 'a/b+c']) {
      const r5 = await connected(5);
      r5.send(pub(topic, 'x', 1, 1));
      expect((await r5.next<IDisconnectPacket>('disconnect')).reasonCode).toBe(0x90);
      const r4 = await connected(4);
      r4.send(pub(topic, 'x', 0));
      await r4.waitClosed();
      expect(r4.received).toEqual([]);
    }
    await stillServes();
  });

  test('topic levels are capped before any matching', async () => {
    const deep = Array.from({ length: 17 }, (_, i) => `l${i}`).join('/');
    const r = await connected(5);
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `${deep}/#`, qos: 0 }, { topic: 'ok/#', qos: 0 }] });
    expect((await r.next<ISubackPacket>('suback')).granted).toEqual([0x8f, 0]);
    const r4 = await connected(4);
    r4.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `${'+/'.repeat(20)}#`, qos: 0 }] });
    expect((await r4.next<ISubackPacket>('suback')).granted).toEqual([0x80]);
    r.send(pub(deep, 'x', 0));
    expect((await r.next<IDisconnectPacket>('disconnect')).reasonCode).toBe(0x90);
    const huge = `${'a/'.repeat(20_000)}b`; // 20,001 levels
    const r3 = await connected(4);
    r3.send(pub(huge, 'x', 0));
    await r3.waitClosed();
    await stillServes();
  });

  test('the inbound QoS 2 window is bounded (3.1.1: closed; 5.0: DISCONNECT 0x93)', async () => {
    const r4 = await connected(4);
    r4.sendRaw(Buffer.concat(Array.from({ length: 9 }, (_, i) => generate(pub('q2/x', 'x', 2, i + 1)))));
    await r4.waitClosed();
    const r5 = await connected(5);
    r5.sendRaw(Buffer.concat(Array.from({ length: 5 }, (_, i) => generate(pub('q2/x', 'x', 2, i + 1), { protocolVersion: 5 }))));
    expect((await r5.next<IDisconnectPacket>('disconnect')).reasonCode).toBe(0x93);
    await stillServes();
  });

  test('clean session discards inbound QoS 2 state: a reused packet id is a new message', async () => {
    const sub = await connected(4);
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'cs2/#', qos: 1 }] });
    await sub.next('suback');
    const a = await open(4);
    a.sendRaw(connectBytes(4, 'cs2-client', false));
    await a.next('connack');
    a.send(pub('cs2/x', 'first', 2, 9));
    await a.next('pubrec');
    a.close();
    await sleep(50);
    const b = await open(4);
    b.sendRaw(connectBytes(4, 'cs2-client', true));
    expect((await b.next<IConnackPacket>('connack')).sessionPresent).toBe(false);
    b.send(pub('cs2/x', 'second', 2, 9));
    await b.next('pubrec');
    b.send({ cmd: 'pubrel', messageId: 9 });
    await b.next('pubcomp');
    const got = [await sub.next<IPublishPacket>('publish'), await sub.next<IPublishPacket>('publish')];
    expect(got.map((m) => m.payload.toString())).toEqual(['first', 'second']);
  });

  test('duplicate PUBREL, twice in one segment and for unknown ids: PUBCOMP each time, one delivery', async () => {
    const sub = await connected(4);
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rel/#', qos: 2 }] });
    await sub.next('suback');
    for (const level of [4, 5] as const) {
      const r = await connected(level);
      r.sendRaw(Buffer.concat([
        generate(pub('rel/x', `once-${level}`, 2, 3), { protocolVersion: level }),
        generate({ cmd: 'pubrel', messageId: 3 }, { protocolVersion: level }),
        generate({ cmd: 'pubrel', messageId: 3 }, { protocolVersion: level }),
        generate({ cmd: 'pubrel', messageId: 4444 }, { protocolVersion: level }),
      ]));
      await r.next('pubrec');
      const comps = [await r.next('pubcomp'), await r.next('pubcomp'), await r.next('pubcomp')];
      expect(comps.map((c) => c.messageId).sort()).toEqual([3, 3, 4444]);
      if (level === 5) expect((comps.find((c) => c.messageId === 4444) as IPubcompPacket).reasonCode).toBe(0x92);
    }
    const got = (await sub.drain(300)).filter((p) => p.cmd === 'publish') as IPublishPacket[];
    expect(got.map((m) => m.payload.toString())).toEqual(['once-4', 'once-5']);
  });

  test('a frozen subscriber is disconnected after the drain timeout; the publisher is not held up', async () => {
    const frozen = await connected(4);
    frozen.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'frozen/#', qos: 0 }] });
    await frozen.next('suback');
    frozen.socket.pause(); // stops reading: the broker's socket buffer fills up
    const p = await connected(4);
    const payload = Buffer.alloc(32 * 1024, 1);
    const open = h.adapter.connectionCount;
    const started = Date.now();
    // A paused client socket does not notice the close: watch the broker's side.
    while (h.adapter.connectionCount === open && Date.now() - started < 8000) {
      for (let j = 1; j <= 10; j++) p.send(pub('frozen/x', payload, 1, j));
      for (let j = 0; j < 10; j++) await p.next('puback');
    }
    expect(h.adapter.connectionCount).toBe(open - 1);
    frozen.socket.resume();
    await frozen.waitClosed(3000);
    await stillServes();
  });

  test('malformed details: DUP on QoS 0, packet id 0, unknown topic alias, oversized packets', async () => {
    const dup = await connected(4);
    dup.sendRaw(Buffer.from([0x38, 0x04, 0x00, 0x01, 0x61, 0x62])); // PUBLISH QoS 0 with DUP
    await dup.waitClosed();
    const zero = await connected(4);
    zero.sendRaw(Buffer.from([0x32, 0x05, 0x00, 0x01, 0x61, 0x00, 0x00])); // QoS 1, packet id 0
    await zero.waitClosed();
    const alias = await connected(5);
    alias.send({ ...pub('', 'x', 0), properties: { topicAlias: 3 } } as Packet);
    expect((await alias.next<IDisconnectPacket>('disconnect')).reasonCode).toBe(0x82);
    const aliasRange = await connected(5);
    aliasRange.send({ ...pub('t', 'x', 0), properties: { topicAlias: 999 } } as Packet);
    expect((await aliasRange.next<IDisconnectPacket>('disconnect')).reasonCode).toBe(0x94);
    const big = await connected(5);
    big.send(pub('big', Buffer.alloc(70 * 1024), 0));
    expect((await big.next<IDisconnectPacket>('disconnect')).reasonCode).toBe(0x95);
    const subId = await connected(5);
    subId.send({ ...pub('t', 'x', 0), properties: { subscriptionIdentifier: 1 } } as Packet);
    expect((await subId.next<IDisconnectPacket>('disconnect')).reasonCode).toBe(0x82);
    const clientOnly = await connected(4);
    clientOnly.send({ cmd: 'connack', returnCode: 0, sessionPresent: false });
    await clientOnly.waitClosed();
    const header = await connected(4);
    header.sendRaw(Buffer.from([0x60, 0x02, 0x00, 0x01])); // PUBREL with reserved flags 0 instead of 2 [MQTT-2.2.2-2]
    await header.waitClosed();
    await stillServes();
  });

  test('a client vanishing with acknowledgements still pending (file journal: slow commits)', async () => {
    const j = await MqttHarness.start({}, {}, 'journal');
    try {
      for (let round = 0; round < 5; round++) {
        const r = await RawClient.connected(j.port, round % 2 ? 5 : 4);
        r.sendRaw(Buffer.concat(Array.from({ length: 50 }, (_, i) =>
          generate(pub(`gone/${i}`, 'x', ((i % 2) + 1) as 1 | 2, i + 1, i % 5 === 0), { protocolVersion: r.level }))));
        r.socket.destroy();
      }
      await sleep(300);
      const ok = await RawClient.connected(j.port, 4);
      ok.send(pub('gone/after', 'x', 1, 1));
      await ok.next('puback');
      ok.close();
    } finally {
      await j.stop();
    }
  });

  test('an unsupported protocol level gets CONNACK 0x01 [MQTT-3.1.2-2]', async () => {
    const r = await open(4);
    const c = connectBytes(4, 'lvl', true);
    c[8] = 6; // protocol level
    r.sendRaw(c);
    expect((await r.next<IConnackPacket>('connack')).returnCode).toBe(1);
    await r.waitClosed();
  });
});
