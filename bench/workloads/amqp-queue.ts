import { performance } from 'node:perf_hooks';
import rhea from 'rhea';
import type { Connection, ConnectionOptions, Delivery, EventContext, Receiver, Sender } from 'rhea';
import { LatencyRecorder, type WorkloadResult } from '../stats.js';

export interface AmqpQueueOptions {
  port: number;
  messages: number;
  bodyBytes: number;
  /** Link credit of the receiver (its prefetch). */
  credit: number;
  /** Send durable messages (journaled before they are accepted). */
  durable: boolean;
  host?: string;
  address?: string;
}

/**
 * One rhea sender → one queue → one rhea receiver, on two connections. The sender sends
 * at-least-once as fast as the broker's credit allows and waits for every accepted outcome; the
 * receiver accepts each message. Latency is send → receive, from a timestamp in the body.
 *
 * The message is encoded once and only its timestamp patched, and the receiver reads raw bytes:
 * client-side encoding and decoding would otherwise weigh on the same cores as the broker.
 */
export async function runAmqpQueue(o: AmqpQueueOptions): Promise<WorkloadResult> {
  const address = o.address ?? 'queue://bench.amqp.queue';
  const template = rhea.message.encode({
    durable: o.durable,
    body: rhea.message.data_section(Buffer.alloc(Math.max(8, o.bodyBytes))),
  } as never);
  const stampAt = template.length - Math.max(8, o.bodyBytes);

  const consumer = await open(o, 'bench-amqp-consumer');
  const producer = await open(o, 'bench-amqp-producer');
  rawMessages(consumer);
  const latency = new LatencyRecorder();
  let received = 0;
  let start = 0;
  const receiver: Receiver = consumer.open_receiver({ source: address, credit_window: o.credit, autoaccept: true });
  const done = new Promise<void>((resolve) => {
    receiver.on('message', (c: EventContext) => {
      const raw = c.message as unknown as Buffer;
      latency.record(performance.now() - raw.readDoubleBE(raw.length - Math.max(8, o.bodyBytes)));
      if (++received === o.messages) resolve();
    });
  });
  await new Promise((resolve) => receiver.once('receiver_open', resolve));

  const sender: Sender = producer.open_sender({ target: address });
  const accepted = new Promise<void>((resolve, reject) => {
    let settled = 0;
    sender.on('accepted', () => {
      if (++settled === o.messages) resolve();
    });
    sender.on('rejected', (c: EventContext) => reject(new Error(`rejected: ${JSON.stringify((c.delivery as Delivery).remote_state)}`)));
  });
  let sent = 0;
  const pump = (): void => {
    while (sent < o.messages && sender.sendable()) {
      const m = Buffer.from(template);
      m.writeDoubleBE(performance.now(), stampAt);
      sender.send(m, undefined, 0);
      sent++;
    }
  };
  await new Promise((resolve) => sender.once('sendable', resolve));
  start = performance.now();
  sender.on('sendable', pump);
  pump();
  await Promise.all([accepted, done]);
  const seconds = (performance.now() - start) / 1000;
  await Promise.all([close(producer), close(consumer)]);
  return {
    workload: `amqp-queue${o.durable ? ' (durable)' : ''}`,
    messages: received,
    seconds,
    figures: { 'msg/s': received / seconds, p50_ms: latency.percentile(50), p99_ms: latency.percentile(99), credit: o.credit },
  };
}

function open(o: AmqpQueueOptions, id: string): Promise<Connection> {
  const container = rhea.create_container({ id: `${id}-${process.pid}` });
  const connection = container.connect({ host: o.host ?? '127.0.0.1', port: o.port, reconnect: false, tcp_no_delay: true } as ConnectionOptions);
  return new Promise((resolve, reject) => {
    connection.once('connection_open', () => resolve(connection));
    connection.once('connection_error', (c: EventContext) => reject(c.error ?? new Error('connection error')));
    connection.once('disconnected', (c: EventContext) => reject(c.error ?? new Error('disconnected')));
  });
}

function close(connection: Connection): Promise<void> {
  return new Promise((resolve) => {
    connection.once('connection_close', () => resolve());
    connection.once('disconnected', () => resolve());
    connection.close();
  });
}

/** rhea hands a receiver the raw bytes of a message whose transfer names no format. */
function rawMessages(connection: Connection): void {
  type Frame = { performative: Record<string, unknown> };
  const c = connection as unknown as { on_transfer(f: Frame): void };
  const proto = Object.getPrototypeOf(c) as { on_transfer(f: Frame): void };
  c.on_transfer = (frame) => {
    if (frame.performative['message_format'] === 0) frame.performative['message_format'] = null;
    proto.on_transfer.call(c, frame);
  };
}
