import { connect, type Socket } from 'node:net';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { connectWithInbox, type Endpoint } from './mqtt-client.js';

interface StompFrame {
  command: string;
  headers: Map<string, string>;
  body: Buffer;
}

/** STOMP 1.2 over a bare socket: just enough to subscribe, send and read MESSAGE frames. */
class Stomp {
  readonly frames: StompFrame[] = [];
  private buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (let end = this.buffer.indexOf(0); end >= 0; end = this.buffer.indexOf(0)) {
        const raw = this.buffer.subarray(0, end).toString('utf8').replace(/^\n+/, '');
        this.buffer = this.buffer.subarray(end + 1);
        if (raw.length === 0) continue;
        const split = raw.indexOf('\n\n');
        const [command, ...lines] = raw.slice(0, split).split('\n');
        const headers = new Map<string, string>();
        for (const line of lines) {
          const colon = line.indexOf(':');
          if (!headers.has(line.slice(0, colon))) headers.set(line.slice(0, colon), line.slice(colon + 1));
        }
        this.frames.push({ command: command!, headers, body: Buffer.from(raw.slice(split + 2)) });
        this.wake?.();
      }
    });
  }

  static async open(port: number): Promise<Stomp> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const stomp = new Stomp(socket);
    stomp.write('CONNECT', { 'accept-version': '1.2', host: 'localhost' });
    await stomp.next('CONNECTED');
    return stomp;
  }

  write(command: string, headers: Record<string, string>, body = ''): void {
    const head = Object.entries(headers).map(([k, v]) => `${k}:${v}`).join('\n');
    this.socket.write(`${command}\n${head}\n\n${body}\0`);
  }

  async next(command: string, timeoutMs = 3000): Promise<StompFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex((f) => f.command === command);
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      const error = this.frames.find((f) => f.command === 'ERROR');
      if (error) throw new Error(`STOMP ERROR: ${error.headers.get('message')}`);
      if (Date.now() > deadline) throw new Error(`no ${command} frame`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  /** SUBSCRIBE with a receipt, so that the subscription exists when this resolves. */
  async subscribe(id: string, destination: string): Promise<void> {
    this.write('SUBSCRIBE', { id, destination, ack: 'auto', receipt: `sub-${id}` });
    await this.next('RECEIPT');
  }

  close(): void {
    this.socket.destroy();
  }
}

let broker: TestBroker;
let endpoint: Endpoint;
const closers: Array<() => void> = [];

beforeAll(async () => {
  broker = await startTestBroker({ store: { kind: 'memory' } });
  endpoint = { ports: broker.ports['mqtt']! };
});
afterAll(async () => {
  closers.forEach((c) => c());
  await broker?.stop();
});

async function stomp(): Promise<Stomp> {
  const s = await Stomp.open(broker.ports['stomp']!.tcp!);
  closers.push(() => s.close());
  return s;
}

async function mqtt(level: 4 | 5): Promise<[MqttClient, Awaited<ReturnType<typeof connectWithInbox>>[1]]> {
  const [client, inbox] = await connectWithInbox(endpoint, 'tcp', { protocolVersion: level, clientId: `x-${Math.random().toString(36).slice(2)}` });
  closers.push(() => client.end(true));
  return [client, inbox];
}

describe('MQTT ↔ STOMP', () => {
  test('MQTT → STOMP: topic names, wildcards, properties, QoS → persistence', async () => {
    const s = await stomp();
    await s.subscribe('1', '/topic/sensors.*.temp');
    await s.subscribe('2', '/topic/spBv1/0.>');
    const [pub] = await mqtt(5);
    await pub.publishAsync('sensors/room-1/temp', '21.5', {
      qos: 1, properties: { userProperties: { unit: 'C' }, contentType: 'text/plain', correlationData: Buffer.from('corr-1'), responseTopic: 'replies/room-1' },
    });
    await pub.publishAsync('sensors/room-2/temp', '19', { qos: 0 });
    await pub.publishAsync('spBv1.0/plant/node', 'sparkplug', { qos: 1 });
    const first = await s.next('MESSAGE');
    expect(first.headers.get('destination')).toBe('/topic/sensors.room-1.temp');
    expect(first.body.toString()).toBe('21.5');
    expect(first.headers.get('persistent')).toBe('true');
    expect(first.headers.get('unit')).toBe('C');
    expect(first.headers.get('content-type')).toBe('text/plain');
    expect(first.headers.get('correlation-id')).toBe('corr-1');
    expect(first.headers.get('reply-to')).toBe('/topic/replies.room-1');
    expect(first.headers.get('ActiveMQ.MQTT.QoS')).toBe('1');
    const second = await s.next('MESSAGE');
    expect(second.headers.get('destination')).toBe('/topic/sensors.room-2.temp');
    expect(second.headers.has('persistent')).toBe(false); // QoS 0: non-persistent
    const third = await s.next('MESSAGE');
    expect(third.headers.get('destination')).toBe('/topic/spBv1/0.plant.node'); // the '.' inside a level
  });

  test('STOMP → MQTT: names, wildcards, headers as user properties, persistence → QoS', async () => {
    const [sub5, inbox5] = await mqtt(5);
    await sub5.subscribeAsync('orders/+/new', { qos: 2 });
    const [sub4, inbox4] = await mqtt(4);
    await sub4.subscribeAsync('orders/#', { qos: 1 });
    const s = await stomp();
    s.write('SEND', {
      destination: '/topic/orders.eu.new', persistent: 'true', region: 'eu', 'correlation-id': 'order-7',
      'reply-to': '/topic/answers.eu', receipt: 'r1',
    }, 'order body');
    await s.next('RECEIPT');
    s.write('SEND', { destination: '/topic/orders.us.new', receipt: 'r2' }, 'fast');
    await s.next('RECEIPT');
    const [a, b] = await inbox5.take(2);
    expect([a!.topic, a!.payload.toString(), a!.qos]).toEqual(['orders/eu/new', 'order body', 2]); // persistent: up to QoS 2
    expect(a!.properties).toMatchObject({
      userProperties: { region: 'eu' }, correlationData: Buffer.from('order-7'), responseTopic: 'answers/eu', payloadFormatIndicator: true,
    });
    expect([b!.topic, b!.qos]).toEqual(['orders/us/new', 0]); // non-persistent: QoS 0
    const fromV4 = await inbox4.take(2);
    expect(fromV4.map((m) => [m.topic, m.qos])).toEqual([['orders/eu/new', 1], ['orders/us/new', 0]]);
  });

  test('a durable MQTT session collects STOMP messages while offline', async () => {
    const opts = { protocolVersion: 4 as const, clientId: 'stomp-offline', clean: false };
    const [first] = await connectWithInbox(endpoint, 'tcp', opts);
    await first.subscribeAsync('offline/#', { qos: 1 });
    await first.endAsync();
    const s = await stomp();
    s.write('SEND', { destination: '/topic/offline.a', persistent: 'true', receipt: 'r' }, 'queued');
    await s.next('RECEIPT');
    const [again, inbox] = await connectWithInbox(endpoint, 'tcp', opts);
    closers.push(() => again.end(true));
    expect((await inbox.take(1))[0]!.payload.toString()).toBe('queued');
  });
});
