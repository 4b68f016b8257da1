import type { MqttClient } from 'mqtt';
import { generate, type IConnackPacket, type IDisconnectPacket, type IPublishPacket } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Inbox, connectClient, connectWithInbox, sleep, type Endpoint } from './mqtt-client.js';
import { MqttHarness } from './mqtt-harness.js';
import { RawClient } from './raw-client.js';

let h: MqttHarness;
let endpoint: Endpoint;
const clients: MqttClient[] = [];
let n = 0;

beforeAll(async () => {
  h = await MqttHarness.start({ maxKeepAliveSeconds: 30, receiveMaximum: 4, topicAliasMaximum: 8 });
  endpoint = { ports: { tcp: h.port, ws: h.wsPort } };
});
afterAll(async () => {
  for (const c of clients) c.end(true);
  await h?.stop();
});

async function client(options: Record<string, unknown> = {}): Promise<MqttClient> {
  const c = await connectClient(endpoint, 'tcp', { protocolVersion: 5, clientId: `v5-${++n}`, ...options });
  clients.push(c);
  return c;
}

describe('MQTT 5 properties', () => {
  test('user properties, content type, payload format, response topic and correlation data reach the subscriber', async () => {
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('props/#', { qos: 1 });
    const pub = await client();
    const userProperties = { region: 'eu', tag: ['a', 'b'], __proto__: 'p' } as Record<string, string | string[]>;
    Object.defineProperty(userProperties, '__proto__', { value: 'p', enumerable: true });
    await pub.publishAsync('props/x', 'hello', {
      qos: 1,
      properties: {
        userProperties, contentType: 'text/plain', payloadFormatIndicator: true, responseTopic: 'reply/to/me',
        correlationData: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
      },
    });
    const [m] = await inbox.take(1);
    expect(m!.properties).toMatchObject({
      contentType: 'text/plain', payloadFormatIndicator: true, responseTopic: 'reply/to/me',
      correlationData: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
    });
    expect(m!.properties!.userProperties).toMatchObject({ region: 'eu', tag: ['a', 'b'], __proto__: 'p' });
  });

  test('message expiry: counted down on delivery, expired messages are not delivered', async () => {
    const sub = await client({ clientId: 'expiry-sub', clean: false, properties: { sessionExpiryInterval: 60 } });
    await sub.subscribeAsync('exp/#', { qos: 1 });
    await sub.endAsync();
    const pub = await client();
    await pub.publishAsync('exp/short', 'short', { qos: 1, properties: { messageExpiryInterval: 1 } });
    await pub.publishAsync('exp/long', 'long', { qos: 1, properties: { messageExpiryInterval: 100 } });
    await sleep(1300);
    const [back, inbox] = await connectWithInbox(endpoint, 'tcp', { protocolVersion: 5, clientId: 'expiry-sub', clean: false, properties: { sessionExpiryInterval: 60 } });
    clients.push(back);
    const [m] = await inbox.take(1);
    expect(m!.topic).toBe('exp/long');
    expect(m!.properties!.messageExpiryInterval).toBeLessThanOrEqual(99);
    expect(await inbox.quiet(200)).toEqual([]);
  });

  test('subscription identifiers: one delivery carries every matching identifier', async () => {
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('sid/+', { qos: 1, properties: { subscriptionIdentifier: 11 } });
    await sub.subscribeAsync('sid/#', { qos: 2, properties: { subscriptionIdentifier: 22 } });
    const pub = await client();
    await pub.publishAsync('sid/a', 'x', { qos: 2 });
    const [m] = await inbox.take(1);
    expect(m!.qos).toBe(2); // the highest QoS of the overlapping subscriptions [MQTT-3.3.5-1]
    expect([m!.properties!.subscriptionIdentifier].flat().sort()).toEqual([11, 22]);
    expect(await inbox.quiet(200)).toEqual([]); // once, not once per subscription
  });

  test('no local, retain as published, retain handling', async () => {
    const a = await client();
    const inbox = new Inbox(a);
    await a.subscribeAsync('nl/#', { qos: 1, nl: true });
    await a.publishAsync('nl/x', 'own', { qos: 1 });
    const b = await client();
    await b.publishAsync('nl/x', 'other', { qos: 1 });
    expect((await inbox.take(1))[0]!.payload.toString()).toBe('other');
    expect(await inbox.quiet(200)).toEqual([]);

    await b.publishAsync('rap/x', 'kept', { qos: 1, retain: true });
    const c = await client();
    const cInbox = new Inbox(c);
    await c.subscribeAsync('rap/#', { qos: 1, rh: 2, rap: true }); // rh 2: no retained message now
    await c.subscribeAsync('rap2/#', { qos: 1, rap: false });
    expect(await cInbox.quiet(200)).toEqual([]);
    await b.publishAsync('rap/x', 'live', { qos: 1, retain: true });
    await b.publishAsync('rap2/x', 'live2', { qos: 1, retain: true });
    const got = await cInbox.take(2);
    const byTopic = Object.fromEntries(got.map((m) => [m.topic, m.retain]));
    expect(byTopic).toEqual({ 'rap/x': true, 'rap2/x': false });

    await c.subscribeAsync('rap/#', { qos: 1, rh: 1 }); // exists already: no retained message
    expect(await cInbox.quiet(200)).toEqual([]);
    await c.subscribeAsync('rap/+', { qos: 1, rh: 1 }); // new: the retained message comes
    expect((await cInbox.take(1))[0]!.retain).toBe(true);
  });

  test('shared subscriptions split the messages over the group', async () => {
    const members = await Promise.all([client(), client()]);
    const inboxes = members.map((m) => new Inbox(m));
    for (const m of members) await m.subscribeAsync('$share/workers/jobs/#', { qos: 1 });
    const other = await client();
    const otherInbox = new Inbox(other);
    await other.subscribeAsync('jobs/#', { qos: 1 });
    const pub = await client();
    for (let i = 0; i < 20; i++) await pub.publishAsync(`jobs/${i}`, String(i), { qos: 1 });
    expect((await otherInbox.take(20)).length).toBe(20);
    await sleep(200);
    const counts = inboxes.map((i) => i.messages.length);
    expect(counts[0]! + counts[1]!).toBe(20);
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });

  test('topic aliases both ways', async () => {
    const sub = await client({ properties: { topicAliasMaximum: 5 } });
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('alias/#', { qos: 0 });
    const pub = await client({ autoAssignTopicAlias: true });
    for (let i = 0; i < 3; i++) await pub.publishAsync('alias/long/topic/name', `m${i}`, { qos: 1 });
    const got = await inbox.take(3);
    expect(got.map((m) => m.topic)).toEqual(['alias/long/topic/name', 'alias/long/topic/name', 'alias/long/topic/name']);
    expect(got.every((m) => m.properties?.topicAlias === 1)).toBe(true);
  });

  test('CONNACK: assigned client id, server keep alive, receive maximum, response information', async () => {
    const raw = await RawClient.open(h.port, 5);
    raw.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, keepalive: 0, clientId: '', properties: { requestResponseInformation: true } });
    const connack = await raw.next<IConnackPacket>('connack');
    expect(connack.reasonCode).toBe(0);
    expect(connack.properties!.assignedClientIdentifier).toMatch(/^wharf-/);
    expect(connack.properties!.serverKeepAlive).toBe(30);
    expect(connack.properties!.receiveMaximum).toBe(4);
    expect(connack.properties!.topicAliasMaximum).toBe(8);
    expect(connack.properties!.responseInformation).toBe(`response/${connack.properties!.assignedClientIdentifier}`);
    raw.close();
  });

  test('a client exceeding our Receive Maximum gets DISCONNECT 0x93', async () => {
    const raw = await RawClient.connected(h.port, 5);
    const publishes = Array.from({ length: 6 }, (_, i) => ({ cmd: 'publish', topic: 'rm/x', payload: 'p', qos: 1, messageId: i + 1, dup: false, retain: false }) as const);
    raw.sendRaw(Buffer.concat(publishes.map((p) => generate(p, { protocolVersion: 5 }))));
    const disconnect = await raw.next<IDisconnectPacket>('disconnect');
    expect(disconnect.reasonCode).toBe(0x93);
    await raw.waitClosed();
  });

  test('the client Receive Maximum bounds what we have in flight', async () => {
    const raw = await RawClient.connected(h.port, 5, { properties: { receiveMaximum: 2 } });
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'flow/#', qos: 1 }] });
    await raw.next('suback');
    const pub = await client();
    for (let i = 0; i < 5; i++) await pub.publishAsync('flow/x', String(i), { qos: 1 });
    const first = (await raw.drain(300)).filter((p) => p.cmd === 'publish') as IPublishPacket[];
    expect(first.map((p) => p.payload.toString())).toEqual(['0', '1']);
    raw.send({ cmd: 'puback', messageId: first[0]!.messageId! });
    const next = await raw.next<IPublishPacket>('publish');
    expect(next.payload.toString()).toBe('2');
    raw.close();
  });

  test('messages larger than the client Maximum Packet Size are dropped, smaller ones delivered', async () => {
    const sub = await client({ properties: { maximumPacketSize: 200 } });
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('mps/#', { qos: 1 });
    const pub = await client();
    await pub.publishAsync('mps/big', Buffer.alloc(500), { qos: 1 });
    await pub.publishAsync('mps/small', 'ok', { qos: 1 });
    const [m] = await inbox.take(1);
    expect(m!.topic).toBe('mps/small');
  });

  test('enhanced authentication is refused with 0x8C; AUTH without it is a protocol error', async () => {
    const raw = await RawClient.open(h.port, 5);
    raw.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, keepalive: 0, clientId: 'ea', properties: { authenticationMethod: 'SCRAM-SHA-1' } });
    expect((await raw.next<IConnackPacket>('connack')).reasonCode).toBe(0x8c);
    await raw.waitClosed();
    const raw2 = await RawClient.connected(h.port, 5);
    raw2.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'x' } });
    expect((await raw2.next<IDisconnectPacket>('disconnect')).reasonCode).toBe(0x82);
  });
});

describe('MQTT 5 sessions and wills', () => {
  test('session expiry: the session survives a disconnect until its interval passes', async () => {
    const connect = async (): Promise<[RawClient, boolean]> => {
      const raw = await RawClient.open(h.port, 5);
      raw.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: false, keepalive: 0, clientId: 'sx', properties: { sessionExpiryInterval: 1 } });
      return [raw, (await raw.next<IConnackPacket>('connack')).sessionPresent];
    };
    const [a, first] = await connect();
    expect(first).toBe(false);
    a.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'sx/#', qos: 1 }] });
    await a.next('suback');
    a.send({ cmd: 'disconnect', reasonCode: 0 });
    await a.waitClosed();
    const [b, resumed] = await connect();
    expect(resumed).toBe(true);
    b.send({ cmd: 'disconnect', reasonCode: 0 });
    await b.waitClosed();
    await sleep(1400);
    const [c, afterExpiry] = await connect();
    expect(afterExpiry).toBe(false);
    c.close();
  });

  test('will delay: a reconnect within the delay cancels the will; otherwise it is published after it', async () => {
    const watcher = await client();
    const inbox = new Inbox(watcher);
    await watcher.subscribeAsync('wd/#', { qos: 1 });
    const will = { topic: 'wd/x', payload: Buffer.from('late'), qos: 1 as const, retain: false, properties: { willDelayInterval: 1 } };
    const opts = { clientId: 'wd', clean: false, properties: { sessionExpiryInterval: 30 }, will };
    const a = await client(opts);
    a.stream.destroy();
    await sleep(300);
    const b = await client(opts);
    await sleep(1200);
    expect(await inbox.quiet(0)).toEqual([]);
    b.stream.destroy();
    await sleep(400);
    expect(inbox.messages.length).toBe(0); // still within the delay
    const [m] = await inbox.take(1, 2000);
    expect(m!.payload.toString()).toBe('late');
  });

  test('DISCONNECT with reason 0x04 publishes the will', async () => {
    const watcher = await client();
    const inbox = new Inbox(watcher);
    await watcher.subscribeAsync('w4/#', { qos: 1 });
    const raw = await RawClient.connected(h.port, 5, { will: { topic: 'w4/x', payload: Buffer.from('asked'), qos: 1, retain: false } });
    raw.send({ cmd: 'disconnect', reasonCode: 0x04 });
    expect((await inbox.take(1))[0]!.payload.toString()).toBe('asked');
  });
});
