import { performance } from 'node:perf_hooks';
import { LatencyRecorder, type WorkloadResult } from '../stats.js';
import { MqttLoadClient, publishTemplate, sentAt, stampPublish } from './mqtt-load-client.js';
import { untilDone } from './mqtt-progress.js';

export interface MqttFanoutOptions {
  port: number;
  messages: number;
  subscribers: number;
  bodyBytes: number;
  /** Messages the slowest subscriber may be behind the publisher. */
  inFlight: number;
  level?: 4 | 5;
}

/** 1 → N at QoS 0: deliveries per second over all subscribers. */
export async function runMqttFanout(o: MqttFanoutOptions): Promise<WorkloadResult> {
  const level = o.level ?? 4;
  const topic = 'bench/fanout';
  const latency = new LatencyRecorder();
  const counts = new Array<number>(o.subscribers).fill(0);
  let deliveries = 0;
  let slowest = 0;
  let sent = 0;
  const subs = await Promise.all(Array.from({ length: o.subscribers }, (_, i) => MqttLoadClient.connect(o.port, { clientId: `bench-fanout-${i}`, level })));
  await Promise.all(subs.map((s) => s.subscribe(topic, 0)));
  const pub = await MqttLoadClient.connect(o.port, { clientId: 'bench-fanout-pub', level });
  const template = publishTemplate(topic, o.bodyBytes, 0, level);
  const pump = (): void => {
    while (sent < o.messages && sent - slowest < o.inFlight) {
      pub.sendRaw(stampPublish(template, 0, performance.now()));
      sent++;
    }
  };
  subs.forEach((s, i) => {
    s.onPublish = (_id, _qos, payload) => {
      deliveries++;
      if (++counts[i]! - 1 === slowest) {
        slowest = Math.min(...counts);
        pump();
      }
      if ((deliveries & 255) === 0) latency.record(performance.now() - sentAt(payload));
    };
  });
  const expected = o.messages * o.subscribers;
  const progress = untilDone(() => deliveries, expected);
  const start = performance.now();
  pump();
  await progress;
  const seconds = (performance.now() - start) / 1000;
  await Promise.all([pub, ...subs].map((c) => c.close()));
  return {
    workload: 'mqtt-fanout',
    messages: o.messages,
    seconds,
    figures: {
      'deliveries/s': deliveries / seconds, 'msg/s': sent / seconds, subscribers: o.subscribers, lost: expected - deliveries,
      p50_ms: latency.percentile(50), p99_ms: latency.percentile(99),
    },
  };
}
