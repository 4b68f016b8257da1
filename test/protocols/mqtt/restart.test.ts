import type { IConnackPacket, IPublishPacket } from 'mqtt-packet';
import { afterEach, describe, expect, test } from 'vitest';
import { sleep } from './mqtt-client.js';
import { MqttHarness } from './mqtt-harness.js';
import { RawClient } from './raw-client.js';

/**
 * Restarts on the same store — the MemoryStore kept across open() calls, and the file journal
 * recovered from disk: persistent sessions, queued messages, in-flight QoS 1/2, retained
 * messages, wills and session-expiry deadlines all come back.
 */
let h: MqttHarness | undefined;
const raws: RawClient[] = [];

afterEach(async () => {
  for (const r of raws.splice(0)) r.close();
  await h?.stop();
  h = undefined;
});

async function connect(clientId: string, clean: boolean, level: 4 | 5 = 4, extra: Record<string, unknown> = {}): Promise<[RawClient, IConnackPacket]> {
  const raw = await RawClient.open(h!.port, level);
  raws.push(raw);
  raw.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: level, clean, keepalive: 0, clientId, ...extra });
  return [raw, await raw.next<IConnackPacket>('connack')];
}

async function subscribe(raw: RawClient, topic: string, qos: 0 | 1 | 2): Promise<void> {
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos }] });
  await raw.next('suback');
}

async function publish(topic: string, payload: string, qos: 0 | 1 | 2, retain = false): Promise<void> {
  const [pub] = await connect(`pub-${Math.random()}`, true);
  pub.send({ cmd: 'publish', topic, payload, qos, messageId: 1, dup: false, retain });
  if (qos === 1) await pub.next('puback');
  if (qos === 2) {
    await pub.next('pubrec');
    pub.send({ cmd: 'pubrel', messageId: 1 });
    await pub.next('pubcomp');
  }
  pub.send({ cmd: 'disconnect' });
}

describe.each(['memory', 'journal'] as const)('restart on the same %s store', (storeKind) => {
  test('a persistent session, its subscriptions and queued messages', async () => {
    h = await MqttHarness.start({}, {}, storeKind);
    const [a] = await connect('keep', false);
    await subscribe(a, 'keep/#', 1);
    a.send({ cmd: 'disconnect' });
    await a.waitClosed();
    for (let i = 0; i < 3; i++) await publish('keep/x', `m${i}`, 1);
    await h.restart();
    const [b, connack] = await connect('keep', false);
    expect(connack.sessionPresent).toBe(true);
    const got = [await b.next<IPublishPacket>('publish'), await b.next<IPublishPacket>('publish'), await b.next<IPublishPacket>('publish')];
    expect(got.map((p) => p.payload.toString())).toEqual(['m0', 'm1', 'm2']);
    got.forEach((p) => b.send({ cmd: 'puback', messageId: p.messageId! }));
    await publish('keep/y', 'after', 1); // the subscription is live again
    expect((await b.next<IPublishPacket>('publish')).payload.toString()).toBe('after');
  });

  test('outbound QoS 1 and 2 in flight: resent with the same packet ids, QoS 2 exactly once', async () => {
    h = await MqttHarness.start({}, {}, storeKind);
    const [a] = await connect('inflight', false);
    await subscribe(a, 'if/#', 2);
    await publish('if/1', 'one', 1);
    await publish('if/2a', 'two-a', 2);
    await publish('if/2b', 'two-b', 2);
    const [p1, p2a, p2b] = [await a.next<IPublishPacket>('publish'), await a.next<IPublishPacket>('publish'), await a.next<IPublishPacket>('publish')];
    a.send({ cmd: 'pubrec', messageId: p2a.messageId! }); // two-a: the client has it, PUBREL comes
    await a.next('pubrel');
    await sleep(50);
    a.close();
    await h.restart();

    const [b, connack] = await connect('inflight', false);
    expect(connack.sessionPresent).toBe(true);
    const resent = await b.drain(400);
    const publishes = resent.filter((p) => p.cmd === 'publish') as IPublishPacket[];
    const pubrels = resent.filter((p) => p.cmd === 'pubrel');
    expect(publishes.map((p) => [p.payload.toString(), p.messageId, p.dup]).sort()).toEqual(
      [['one', p1.messageId, true], ['two-b', p2b.messageId, true]].sort(),
    );
    expect(pubrels.map((p) => p.messageId)).toEqual([p2a.messageId]); // never two-a again as a PUBLISH
    b.send({ cmd: 'puback', messageId: p1.messageId! });
    b.send({ cmd: 'pubcomp', messageId: p2a.messageId! });
    b.send({ cmd: 'pubrec', messageId: p2b.messageId! });
    expect((await b.next('pubrel')).messageId).toBe(p2b.messageId);
    b.send({ cmd: 'pubcomp', messageId: p2b.messageId! });
    expect(await b.drain(300)).toEqual([]);
    // Nothing comes back after another restart either.
    b.close();
    await h.restart();
    const [c] = await connect('inflight', false);
    expect(await c.drain(300)).toEqual([]);
  });

  test('inbound QoS 2: a PUBLISH resent after the restart is not routed twice', async () => {
    h = await MqttHarness.start({}, {}, storeKind);
    const [watch] = await connect('watch2', false);
    await subscribe(watch, 'in2/#', 1);
    const [a] = await connect('sender', false);
    a.send({ cmd: 'publish', topic: 'in2/x', payload: 'exactly-once', qos: 2, messageId: 77, dup: false, retain: false });
    await a.next('pubrec');
    a.close();
    watch.close();
    await h.restart();
    const [b, connack] = await connect('sender', false);
    expect(connack.sessionPresent).toBe(true);
    b.send({ cmd: 'publish', topic: 'in2/x', payload: 'exactly-once', qos: 2, messageId: 77, dup: true, retain: false });
    await b.next('pubrec');
    b.send({ cmd: 'pubrel', messageId: 77 });
    await b.next('pubcomp');
    const [w] = await connect('watch2', false);
    const got = (await w.drain(400)).filter((p) => p.cmd === 'publish');
    expect(got.length).toBe(1);
  });

  test('retained messages', async () => {
    h = await MqttHarness.start({}, {}, storeKind);
    await publish('ret/a', 'kept', 1, true);
    await h.restart();
    const [a] = await connect('ret-sub', true);
    await subscribe(a, 'ret/#', 1);
    const m = await a.next<IPublishPacket>('publish');
    expect([m.topic, m.payload.toString(), m.retain]).toEqual(['ret/a', 'kept', true]);
  });

  test('wills of connections the stopped broker held are published after the restart', async () => {
    h = await MqttHarness.start({}, {}, storeKind);
    const [watch] = await connect('will-watch', false);
    await subscribe(watch, 'lost/#', 1);
    watch.send({ cmd: 'disconnect' });
    await connect('dying', true, 4, { will: { topic: 'lost/dying', payload: Buffer.from('gone'), qos: 1, retain: false } });
    await h.restart();
    const [w] = await connect('will-watch', false);
    expect((await w.next<IPublishPacket>('publish')).payload.toString()).toBe('gone');
  });

  test('session-expiry deadlines are absolute and survive the restart', async () => {
    h = await MqttHarness.start({}, {}, storeKind);
    const expiring = { properties: { sessionExpiryInterval: 1 } };
    const lasting = { properties: { sessionExpiryInterval: 3600 } };
    const [a] = await connect('short', false, 5, expiring);
    await subscribe(a, 'short/#', 1);
    a.send({ cmd: 'disconnect', reasonCode: 0 });
    const [b] = await connect('long', false, 5, lasting);
    await subscribe(b, 'long/#', 1);
    b.send({ cmd: 'disconnect', reasonCode: 0 });
    await sleep(100);
    await h.restart();
    await sleep(1200);
    expect((await connect('short', false, 5, expiring))[1].sessionPresent).toBe(false);
    expect((await connect('long', false, 5, lasting))[1].sessionPresent).toBe(true);
  });
});
