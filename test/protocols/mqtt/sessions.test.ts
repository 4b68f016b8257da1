import type { MqttClient } from 'mqtt';
import type { IConnackPacket, IPublishPacket } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Inbox, connectClient, connectWithInbox, sleep, type Endpoint } from './mqtt-client.js';
import { MqttHarness } from './mqtt-harness.js';
import { RawClient, connectBytes } from './raw-client.js';

let h: MqttHarness;
let endpoint: Endpoint;
const clients: MqttClient[] = [];

beforeAll(async () => {
  h = await MqttHarness.start({ maxQueuedMessages: 5 });
  endpoint = { ports: { tcp: h.port, ws: h.wsPort } };
});
afterAll(async () => {
  for (const c of clients) c.end(true);
  await h?.stop();
});

async function client(options: Record<string, unknown> = {}): Promise<MqttClient> {
  const c = await connectClient(endpoint, 'tcp', { protocolVersion: 4, clientId: `s-${Math.random().toString(36).slice(2)}`, ...options });
  clients.push(c);
  return c;
}

async function rawConnect(clientId: string, clean: boolean, level: 3 | 4 | 5 = 4): Promise<[RawClient, IConnackPacket]> {
  const raw = await RawClient.open(h.port, level);
  raw.sendRaw(connectBytes(level, clientId, clean));
  return [raw, await raw.next<IConnackPacket>('connack')];
}

describe('3.1.1 persistent sessions', () => {
  test('clean session 0: subscriptions and queued QoS 1 messages survive a disconnect; session present', async () => {
    const opts = { clientId: 'p311', clean: false };
    const a = await client(opts);
    await a.subscribeAsync('ps/#', { qos: 1 });
    await a.endAsync();
    const pub = await client();
    for (let i = 0; i < 3; i++) await pub.publishAsync('ps/x', `m${i}`, { qos: 1 });
    const [b, inbox] = await connectWithInbox(endpoint, 'tcp', { protocolVersion: 4, ...opts });
    clients.push(b);
    expect((await inbox.take(3)).map((m) => m.payload.toString())).toEqual(['m0', 'm1', 'm2']);
    await b.endAsync();
    // clean session 1 discards it
    const [raw, connack] = await rawConnect('p311', true);
    expect(connack.sessionPresent).toBe(false);
    raw.close();
    const [raw2, connack2] = await rawConnect('p311', false);
    expect(connack2.sessionPresent).toBe(false);
    raw2.close();
  });

  test('unacknowledged QoS 1 and 2 deliveries are resent after reconnect with DUP and the same packet ids', async () => {
    const [a] = await rawConnect('dup1', false);
    a.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'dup/#', qos: 2 }] });
    await a.next('suback');
    const pub = await client();
    await pub.publishAsync('dup/one', 'q1', { qos: 1 });
    await pub.publishAsync('dup/two', 'q2', { qos: 2 });
    const first = [await a.next<IPublishPacket>('publish'), await a.next<IPublishPacket>('publish')];
    expect(first.map((p) => [p.qos, p.dup])).toEqual([[1, false], [2, false]]);
    a.send({ cmd: 'pubrec', messageId: first[1]!.messageId! }); // QoS 2 half done: PUBREL expected
    await a.next('pubrel');
    a.close();
    await sleep(100);
    const [b, connack] = await rawConnect('dup1', false);
    expect(connack.sessionPresent).toBe(true);
    const again = await b.next<IPublishPacket>('publish');
    expect([again.messageId, again.dup, again.payload.toString()]).toEqual([first[0]!.messageId, true, 'q1']);
    const pubrel = await b.next('pubrel');
    expect(pubrel.messageId).toBe(first[1]!.messageId);
    b.send({ cmd: 'puback', messageId: again.messageId! });
    b.send({ cmd: 'pubcomp', messageId: pubrel.messageId! });
    expect(await b.drain(300)).toEqual([]);
    b.close();
  });

  test('session takeover: the older connection is closed, the new one gets the session', async () => {
    const [a] = await rawConnect('take', false);
    a.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'take/#', qos: 1 }] });
    await a.next('suback');
    const [b, connack] = await rawConnect('take', false);
    expect(connack.sessionPresent).toBe(true);
    await a.waitClosed();
    const pub = await client();
    await pub.publishAsync('take/x', 'to-b', { qos: 1 });
    expect((await b.next<IPublishPacket>('publish')).payload.toString()).toBe('to-b');
    b.close();
  });

  test('the offline queue is bounded: the oldest messages are dropped (drop-oldest)', async () => {
    const opts = { clientId: 'bounded', clean: false };
    const a = await client(opts);
    await a.subscribeAsync('bq/#', { qos: 1 });
    await a.endAsync();
    const pub = await client();
    for (let i = 0; i < 12; i++) await pub.publishAsync('bq/x', `m${i}`, { qos: 1 });
    const [b, inbox] = await connectWithInbox(endpoint, 'tcp', { protocolVersion: 4, ...opts });
    clients.push(b);
    expect((await inbox.take(5)).map((m) => m.payload.toString())).toEqual(['m7', 'm8', 'm9', 'm10', 'm11']);
    expect(await inbox.quiet(200)).toEqual([]);
    await b.endAsync();
  });

  test('MQTT 3.1 (MQIsdp) clients connect, and need a client id of at most 23 characters', async () => {
    const [ok, connack] = await rawConnect('v31-client', true, 3);
    expect(connack.returnCode).toBe(0);
    ok.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'v31/#', qos: 1 }] });
    await ok.next('suback');
    const pub = await client();
    await pub.publishAsync('v31/x', 'old', { qos: 1 });
    expect((await ok.next<IPublishPacket>('publish')).payload.toString()).toBe('old');
    ok.close();
    const [long, refused] = await rawConnect('x'.repeat(24), true, 3);
    expect(refused.returnCode).toBe(2);
    await long.waitClosed();
    const [empty, refusedEmpty] = await rawConnect('', true, 3);
    expect(refusedEmpty.returnCode).toBe(2);
    await empty.waitClosed();
  });

  test('3.1.1: an empty client id needs clean session', async () => {
    const [a, accepted] = await rawConnect('', true);
    expect(accepted.returnCode).toBe(0);
    a.close();
    const [b, refused] = await rawConnect('', false);
    expect(refused.returnCode).toBe(2);
    await b.waitClosed();
  });

  test('overlapping subscriptions deliver once, at the highest QoS [MQTT-3.3.5-1]', async () => {
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync({ 'ov/#': { qos: 0 }, 'ov/+': { qos: 2 }, 'ov/x': { qos: 1 } });
    const pub = await client();
    await pub.publishAsync('ov/x', 'once', { qos: 2 });
    await pub.publishAsync('ov/y/z', 'deep', { qos: 2 });
    const got = await inbox.take(2);
    expect(got.map((m) => [m.topic, m.qos])).toEqual([['ov/x', 2], ['ov/y/z', 0]]);
    expect(await inbox.quiet(300)).toEqual([]);
  });

  test('a persistent session keeps receiving while offline, overlapping included, and delivers once', async () => {
    const opts = { clientId: 'ovp', clean: false };
    const a = await client(opts);
    await a.subscribeAsync({ 'ovp/#': { qos: 1 }, 'ovp/+': { qos: 2 } });
    await a.endAsync();
    const pub = await client();
    await pub.publishAsync('ovp/x', 'offline', { qos: 2 });
    const [b, inbox] = await connectWithInbox(endpoint, 'tcp', { protocolVersion: 4, ...opts });
    clients.push(b);
    const [m] = await inbox.take(1);
    expect([m!.payload.toString(), m!.qos]).toEqual(['offline', 2]);
    expect(await inbox.quiet(300)).toEqual([]);
    await b.endAsync();
  });

  test('unsubscribe removes the durable subscription and its queued messages', async () => {
    const opts = { clientId: 'unsub', clean: false };
    const a = await client(opts);
    await a.subscribeAsync('us/#', { qos: 1 });
    await a.unsubscribeAsync('us/#');
    await a.endAsync();
    const pub = await client();
    await pub.publishAsync('us/x', 'lost', { qos: 1 });
    const [b, inbox] = await connectWithInbox(endpoint, 'tcp', { protocolVersion: 4, ...opts });
    clients.push(b);
    expect(await inbox.quiet(300)).toEqual([]);
    expect(h.core.stats().destinations.filter((d) => d.kind === 'durable-subscription' && d.name.includes('"unsub"'))).toEqual([]);
    await b.endAsync();
  });

  test('keep alive: a silent client is disconnected after 1.5 × its keep alive, and its will published', async () => {
    const watcher = await client();
    const inbox = new Inbox(watcher);
    await watcher.subscribeAsync('ka/#', { qos: 1 });
    const raw = await RawClient.connected(h.port, 4, { keepalive: 1, will: { topic: 'ka/will', payload: Buffer.from('silent'), qos: 1, retain: false } });
    await raw.waitClosed(2500);
    expect((await inbox.take(1))[0]!.payload.toString()).toBe('silent');
  });

  test('$-topics are not matched by filters starting with a wildcard [MQTT-4.7.2-1]', async () => {
    const all = await client();
    const allInbox = new Inbox(all);
    await all.subscribeAsync({ '#': { qos: 1 }, '+/status': { qos: 1 } });
    const sys = await client();
    const sysInbox = new Inbox(sys);
    await sys.subscribeAsync('$SYS/#', { qos: 1 });
    const pub = await client();
    await pub.publishAsync('$SYS/status', 'system', { qos: 1, retain: true });
    await pub.publishAsync('dollar/status', 'plain', { qos: 1 });
    expect((await sysInbox.take(1))[0]!.topic).toBe('$SYS/status');
    const seen = await allInbox.take(1);
    expect(seen.map((m) => m.topic)).toEqual(['dollar/status']);
    expect((await allInbox.quiet(200)).filter((m) => m.topic.startsWith('$'))).toEqual([]);
    const late = await client();
    const lateInbox = new Inbox(late);
    await late.subscribeAsync('#', { qos: 1 }); // no retained $SYS message either
    expect((await lateInbox.quiet(200)).filter((m) => m.topic.startsWith('$'))).toEqual([]);
    await pub.publishAsync('$SYS/status', '', { qos: 1, retain: true });
  });

  test('over WebSocket with subprotocol mqtt', async () => {
    const sub = await connectClient(endpoint, 'ws', { protocolVersion: 4, clientId: 'ws-sub' });
    clients.push(sub);
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('wsx/#', { qos: 1 });
    const pub = await client();
    await pub.publishAsync('wsx/a', 'via-ws', { qos: 1 });
    expect((await inbox.take(1))[0]!.payload.toString()).toBe('via-ws');
  });
});
