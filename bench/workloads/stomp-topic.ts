import { performance } from 'node:perf_hooks';
import { LatencyRecorder, type WorkloadResult } from '../stats.js';
import { header, StompLoadClient } from '../stomp-load-client.js';

export interface StompTopicOptions {
  port: number;
  messages: number;
  subscribers: number;
  bodyBytes: number;
  inFlight: number;
}

/** One producer → a topic → N subscribers (auto ack). Reports published msg/s and deliveries/s. */
export async function runStompTopic(o: StompTopicOptions): Promise<WorkloadResult> {
  const latency = new LatencyRecorder();
  const destination = '/topic/bench.topic';
  let deliveries = 0;
  const expected = o.messages * o.subscribers;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const subscribers = await Promise.all(Array.from({ length: o.subscribers }, () => StompLoadClient.connect(o.port)));
  subscribers.forEach((s, i) => {
    s.onFrame = (f) => {
      if (f.command !== 'MESSAGE') return;
      latency.record(performance.now() - Number(header(f, 'bench-ts')));
      if (++deliveries === expected) resolveDone();
    };
    s.send(`SUBSCRIBE\nid:${i}\ndestination:${destination}\nack:auto\n\n\0`);
  });
  await new Promise((r) => setTimeout(r, 200));

  const producer = await StompLoadClient.connect(o.port);
  const body = 'x'.repeat(o.bodyBytes);
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    let sent = 0;
    let receipted = 0;
    const pump = (): void => {
      while (sent < o.messages && sent - receipted < o.inFlight) {
        producer.send(`SEND\ndestination:${destination}\nbench-ts:${performance.now()}\nreceipt:${sent}\n\n${body}\0`);
        sent++;
      }
    };
    producer.onFrame = (f) => {
      if (f.command === 'RECEIPT') {
        if (++receipted === o.messages) resolve();
        else pump();
      } else if (f.command === 'ERROR') reject(new Error(header(f, 'message')));
    };
    pump();
  });
  await done;
  const seconds = (performance.now() - start) / 1000;
  await Promise.all([producer, ...subscribers].map((c) => c.close()));
  return {
    workload: 'stomp-topic',
    messages: o.messages,
    seconds,
    figures: {
      'msg/s': o.messages / seconds,
      'deliveries/s': deliveries / seconds,
      subscribers: o.subscribers,
      p50_ms: latency.percentile(50),
      p99_ms: latency.percentile(99),
    },
  };
}
