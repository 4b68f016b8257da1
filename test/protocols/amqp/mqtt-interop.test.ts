import mqtt from 'mqtt';
import type { Connection } from 'rhea';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMqttAdapter } from '../../../protocols/mqtt/index.js';
import type { TestBroker } from '../../helpers/broker.js';
import { startAmqpBroker } from './support/broker.js';
import { closeConnection, connect, messageUtil, openReceiver, openSender, receive, send, whenSendable } from './support/client.js';

/** AMQP ↔ MQTT through the core: topic names (`.` ↔ `/`), payloads, QoS ↔ durability. */

let broker: TestBroker;
let seq = 0;
const unique = (name: string): string => `${name}${process.pid}x${++seq}`;
const open: Connection[] = [];
const mqttClients: mqtt.MqttClient[] = [];

beforeAll(async () => {
  broker = await startAmqpBroker({}, { mqtt: createMqttAdapter });
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => closeConnection(c)));
  await Promise.all(mqttClients.splice(0).map((c) => c.endAsync()));
});

afterAll(async () => {
  await broker?.stop();
});

async function amqp(): Promise<Connection> {
  const c = await connect(broker.ports.amqp!.tcp!);
  open.push(c);
  return c;
}

async function mqttClient(): Promise<mqtt.MqttClient> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.mqtt!.tcp!}`, { protocolVersion: 4, reconnectPeriod: 0 });
  mqttClients.push(c);
  return c;
}

function nextMqttMessage(c: mqtt.MqttClient): Promise<{ topic: string; payload: Buffer; qos: number }> {
  return new Promise((resolve) => c.once('message', (topic, payload, packet) => resolve({ topic, payload, qos: packet.qos })));
}

describe('AMQP to MQTT', () => {
  it('delivers data sections and strings as payloads on the mapped topic', async () => {
    const name = unique('amqp2mqtt');
    const m = await mqttClient();
    await m.subscribeAsync(`${name}/+`, { qos: 1 });
    const sender = await openSender(await amqp(), `topic://${name}.sensor`);
    await whenSendable(sender);
    const first = nextMqttMessage(m);
    await send(sender, { body: messageUtil.data_section(Buffer.from([1, 2, 3])), durable: true } as never);
    const bytes = await first;
    expect(bytes.topic).toBe(`${name}/sensor`);
    expect([...bytes.payload]).toEqual([1, 2, 3]);
    expect(bytes.qos).toBe(1);
    const second = nextMqttMessage(m);
    await send(sender, { body: 'temperature 21' });
    expect((await second).payload.toString()).toBe('temperature 21');
  });
});

describe('MQTT to AMQP', () => {
  it('delivers a QoS 1 publish as a durable data section on the mapped topic', async () => {
    const name = unique('mqtt2amqp');
    const receiver = await openReceiver(await amqp(), `topic://${name}.room1`);
    const got = receive(receiver, 1);
    const m = await mqttClient();
    await m.publishAsync(`${name}/room1`, Buffer.from('hello from mqtt'), { qos: 1 });
    const message = (await got)[0]!.message;
    const section = message.body as unknown as { typecode: number; content: Buffer };
    expect(section.typecode).toBe(0x75);
    expect(section.content.toString()).toBe('hello from mqtt');
    expect(message.durable).toBe(true);
    expect(message.to).toBe(`topic://${name}.room1`);
    expect(message.message_annotations).toMatchObject({ 'x-opt-jms-msg-type': 3, 'x-opt-jms-dest': 1 });
  });
});
