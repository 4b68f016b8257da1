import { performance } from 'node:perf_hooks';
import { LatencyRecorder, type WorkloadResult } from '../stats.js';
import { MqttLoadClient, publishTemplate, sentAt, stampPublish } from './mqtt-load-client.js';
import { untilDone } from './mqtt-progress.js';

export interface MqttQos0Options {
  port: number;
  messages: number;
  bodyBytes: number;
  /** Messages sent and not yet received at most (QoS 0 has no acknowledgement to count). */
  inFlight: number;
  level?: 4 | 5;
}

/** 1 → 1 at QoS 0 (non-persistent): publishes per second as the subscriber receives them. */
export async function runMqttQos0(o: MqttQos0Options): Promise<WorkloadResult> {
  const level = o.level ?? 4;
  const topic = 'bench/qos0';
  const latency = new LatencyRecorder();
  const sub = await MqttLoadClient.connect(o.port, { clientId: 'bench-qos0-sub', level });
  await sub.subscribe(topic, 0);
  const pub = await MqttLoadClient.connect(o.port, { clientId: 'bench-qos0-pub', level });
  const template = publishTemplate(topic, o.bodyBytes, 0, level);
  let sent = 0;
  let received = 0;
  const pump = (): void => {
    while (sent < o.messages && sent - received < o.inFlight) {
      pub.sendRaw(stampPublish(template, 0, performance.now()));
      sent++;
    }
  };
  const progress = untilDone(() => received, o.messages);
  sub.onPublish = (_id, _qos, payload) => {
    received++;
    if ((received & 15) === 0) latency.record(performance.now() - sentAt(payload));
    pump();
  };
  const start = performance.now();
  pump();
  await progress;
  const seconds = (performance.now() - start) / 1000;
  await Promise.all([pub.close(), sub.close()]);
  return {
    workload: 'mqtt-qos0',
    messages: received,
    seconds,
    figures: { 'msg/s': received / seconds, lost: o.messages - received, p50_ms: latency.percentile(50), p99_ms: latency.percentile(99) },
  };
}
