import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { connectWithInbox, sleep, type Endpoint } from './mqtt-client.js';

/** `$SYS/broker/...` with MQTT.js over a real broker publishing them every 200 ms. */
let broker: TestBroker;
let endpoint: Endpoint;
const clients: MqttClient[] = [];

beforeAll(async () => {
  broker = await startTestBroker({ store: { kind: 'memory' }, mqtt: { sysIntervalMs: 200 } });
  endpoint = { ports: broker.ports['mqtt']! };
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync()));
  await broker?.stop();
});

const subscribe = (c: MqttClient, filter: string) => c.subscribeAsync(filter, { qos: 0 });

describe('$SYS topics', () => {
  it('publishes broker statistics, retained, to $SYS/broker/... subscribers only', async () => {
    const [publisher] = await connectWithInbox(endpoint, 'tcp', { clientId: 'sys-publisher' });
    const [everything, all] = await connectWithInbox(endpoint, 'tcp', { clientId: 'sys-everything' });
    clients.push(publisher, everything);
    await subscribe(everything, '#');
    for (let i = 0; i < 3; i++) await publisher.publishAsync('sys/test', `m${i}`, { qos: 1 });
    await sleep(450);
    const [watcher, sys] = await connectWithInbox(endpoint, 'tcp', { clientId: 'sys-watcher', protocolVersion: 5 });
    clients.push(watcher);
    await subscribe(watcher, '$SYS/broker/#');
    const first = await sys.take(6); // the retained values, at once
    expect(first.every((m) => m.retain)).toBe(true);
    const value = (topic: string) => Number.parseInt(first.find((m) => m.topic === topic)!.payload.toString(), 10);
    expect(first.map((m) => m.topic).sort()).toEqual([
      '$SYS/broker/clients/connected', '$SYS/broker/messages/received', '$SYS/broker/messages/sent',
      '$SYS/broker/retained messages/count', '$SYS/broker/sessions/count', '$SYS/broker/uptime',
    ]);
    expect(value('$SYS/broker/clients/connected')).toBeGreaterThanOrEqual(2);
    expect(value('$SYS/broker/messages/received')).toBeGreaterThanOrEqual(3);
    expect(value('$SYS/broker/messages/sent')).toBeGreaterThanOrEqual(3);
    expect(first.find((m) => m.topic === '$SYS/broker/uptime')!.payload.toString()).toMatch(/^\d+ seconds$/);
    const later = await sys.take(6, 2000); // and again every interval
    expect(later.some((m) => m.topic === '$SYS/broker/clients/connected')).toBe(true);
    // `#` does not match `$` topics [MQTT-4.7.2-1].
    expect((await all.quiet(100)).map((m) => m.topic)).toEqual(['sys/test', 'sys/test', 'sys/test']);
  });
});
