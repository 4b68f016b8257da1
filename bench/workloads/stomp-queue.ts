import { performance } from 'node:perf_hooks';
import { LatencyRecorder, type WorkloadResult } from '../stats.js';
import { header, StompLoadClient } from '../stomp-load-client.js';

export interface StompQueueOptions {
  port: number;
  messages: number;
  bodyBytes: number;
  /** Unreceipted sends the producer keeps in flight. */
  inFlight: number;
  persistent: boolean;
  producers: number;
  prefetch: number;
  destination: string;
  label: string;
}

/**
 * N producers → one queue → one consumer acking each message (client-individual). Producers keep
 * up to `inFlight` sends without a RECEIPT; latency is send → MESSAGE, measured in this process.
 */
export async function runStompQueue(o: StompQueueOptions): Promise<WorkloadResult> {
  const consumer = await StompLoadClient.connect(o.port);
  const latency = new LatencyRecorder();
  let received = 0;
  const done = new Promise<void>((resolve) => {
    consumer.onFrame = (f) => {
      if (f.command !== 'MESSAGE') return;
      const sent = Number(header(f, 'bench-ts'));
      latency.record(performance.now() - sent);
      consumer.send(`ACK\nid:${header(f, 'ack')}\n\n\0`);
      if (++received === o.messages) resolve();
    };
  });
  consumer.send(`SUBSCRIBE\nid:0\ndestination:${o.destination}\nack:client-individual\nactivemq.prefetchSize:${o.prefetch}\nreceipt:sub\n\n\0`);
  await new Promise((r) => setTimeout(r, 100));

  const body = 'x'.repeat(o.bodyBytes);
  const perProducer = Math.ceil(o.messages / o.producers);
  const start = performance.now();
  const producers = await Promise.all(
    Array.from({ length: o.producers }, () => StompLoadClient.connect(o.port)),
  );
  const producing = producers.map((p, pi) => produce(p, pi, Math.min(perProducer, o.messages - pi * perProducer)));
  await Promise.all(producing);
  await done;
  const seconds = (performance.now() - start) / 1000;
  await Promise.all([consumer, ...producers].map((c) => c.close()));
  return {
    workload: o.label,
    messages: received,
    seconds,
    figures: {
      'msg/s': received / seconds,
      'p50_ms': latency.percentile(50),
      'p99_ms': latency.percentile(99),
      producers: o.producers,
    },
  };

  function produce(client: StompLoadClient, index: number, count: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let sent = 0;
      let receipted = 0;
      const sendHead = `SEND\ndestination:${o.destination}\npersistent:${o.persistent}\n`;
      const pump = (): void => {
        while (sent < count && sent - receipted < o.inFlight) {
          client.send(`${sendHead}bench-ts:${performance.now()}\nreceipt:${index}-${sent}\n\n${body}\0`);
          sent++;
        }
      };
      client.onFrame = (f) => {
        if (f.command === 'RECEIPT') {
          receipted++;
          if (receipted === count) resolve();
          else pump();
        } else if (f.command === 'ERROR') reject(new Error(header(f, 'message')));
      };
      if (count <= 0) resolve();
      else pump();
    });
  }
}
