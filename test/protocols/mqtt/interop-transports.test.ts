import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { Inbox, connectClient, type Endpoint, type Transport } from './mqtt-client.js';

/** MQTT.js 3.1.1 and 5.0 over TCP, TLS and WSS against the full broker (real registry and listeners). */
let broker: TestBroker;
let endpoint: Endpoint;
const clients: MqttClient[] = [];

beforeAll(async () => {
  broker = await startTestBroker({ store: { kind: 'memory' } });
  endpoint = { ports: broker.ports['mqtt']!, tlsCa: broker.tlsCa };
});
afterAll(async () => {
  for (const c of clients) c.end(true);
  await broker?.stop();
});

async function client(transport: Transport, level: 4 | 5, options: Record<string, unknown> = {}): Promise<MqttClient> {
  const c = await connectClient(endpoint, transport, { protocolVersion: level, clientId: `c-${Math.random().toString(36).slice(2)}`, ...options });
  clients.push(c);
  return c;
}

describe.each([
  ['tcp', 4], ['tcp', 5], ['tls', 4], ['tls', 5], ['wss', 4], ['wss', 5],
] as const)('MQTT.js over %s, protocol level %i', (transport, level) => {
  const prefix = `${transport}-${level}`;

  test('QoS 0, 1 and 2 through a wildcard subscription, capped by the subscription QoS', async () => {
    const sub = await client(transport, level);
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(`${prefix}/q/+`, { qos: 1 });
    const pub = await client(transport, level);
    await pub.publishAsync(`${prefix}/q/0`, 'zero', { qos: 0 });
    await pub.publishAsync(`${prefix}/q/1`, 'one', { qos: 1 });
    await pub.publishAsync(`${prefix}/q/2`, 'two', { qos: 2 });
    const got = await inbox.take(3);
    expect(got.map((m) => [m.topic, m.payload.toString(), m.qos])).toEqual([
      [`${prefix}/q/0`, 'zero', 0], [`${prefix}/q/1`, 'one', 1], [`${prefix}/q/2`, 'two', 1],
    ]);
  });

  test('retained messages reach later subscribers, flagged retain, and an empty payload clears them', async () => {
    const pub = await client(transport, level);
    await pub.publishAsync(`${prefix}/r/a`, 'kept', { qos: 1, retain: true });
    await pub.publishAsync(`${prefix}/r/b`, 'gone', { qos: 1, retain: true });
    await pub.publishAsync(`${prefix}/r/b`, '', { qos: 1, retain: true });
    const sub = await client(transport, level);
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(`${prefix}/r/#`, { qos: 1 });
    const [m] = await inbox.take(1);
    expect([m!.topic, m!.payload.toString(), m!.retain]).toEqual([`${prefix}/r/a`, 'kept', true]);
    expect(await inbox.quiet(200)).toEqual([]);
  });

  test('a will is published when the connection drops without DISCONNECT', async () => {
    const watcher = await client(transport, level);
    const inbox = new Inbox(watcher);
    await watcher.subscribeAsync(`${prefix}/will/#`, { qos: 1 });
    const dying = await client(transport, level, { will: { topic: `${prefix}/will/x`, payload: Buffer.from('bye'), qos: 1, retain: false } });
    dying.stream.destroy();
    const [m] = await inbox.take(1);
    expect([m!.topic, m!.payload.toString()]).toEqual([`${prefix}/will/x`, 'bye']);
  });

  test('a normal DISCONNECT discards the will', async () => {
    const watcher = await client(transport, level);
    const inbox = new Inbox(watcher);
    await watcher.subscribeAsync(`${prefix}/will2/#`, { qos: 1 });
    const leaving = await client(transport, level, { will: { topic: `${prefix}/will2/x`, payload: Buffer.from('bye'), qos: 1, retain: false } });
    await leaving.endAsync();
    expect(await inbox.quiet(300)).toEqual([]);
  });
});
