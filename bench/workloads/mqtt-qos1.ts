import { performance } from 'node:perf_hooks';
import { LatencyRecorder, type WorkloadResult } from '../stats.js';
import { MqttLoadClient, publishTemplate, pubackBytes, sentAt, stampPublish } from './mqtt-load-client.js';
import { untilDone } from './mqtt-progress.js';

export interface MqttQos1Options {
  port: number;
  messages: number;
  bodyBytes: number;
  /** Unacknowledged PUBLISHes of the publisher at most. */
  inFlight: number;
  /** A persistent subscriber session (clean session 0): a durable subscription, so every message is journaled. */
  durable?: boolean;
  level?: 4 | 5;
}

/**
 * 1 → 1 at QoS 1: the publisher keeps up to `inFlight` PUBLISHes unacknowledged (PUBACK comes once
 * the message is durable), the subscriber acknowledges each delivery. Received messages per second.
 */
export async function runMqttQos1(o: MqttQos1Options): Promise<WorkloadResult> {
  const level = o.level ?? 4;
  const durable = o.durable ?? true;
  const topic = 'bench/qos1';
  const subId = 'bench-qos1-sub';
  const latency = new LatencyRecorder();
  const sub = await MqttLoadClient.connect(o.port, { clientId: subId, level, clean: !durable });
  await sub.subscribe(topic, 1);
  const pub = await MqttLoadClient.connect(o.port, { clientId: 'bench-qos1-pub', level });
  const template = publishTemplate(topic, o.bodyBytes, 1, level);
  let sent = 0;
  let acked = 0;
  let received = 0;
  const pump = (): void => {
    while (sent < o.messages && sent - acked < o.inFlight) {
      pub.sendRaw(stampPublish(template, (sent % 65535) + 1, performance.now()));
      sent++;
    }
  };
  pub.onPacket = (p) => {
    if (p.cmd !== 'puback') return;
    acked++;
    pump();
  };
  const progress = untilDone(() => received, o.messages);
  sub.onPublish = (packetId, _qos, payload) => {
    sub.sendRaw(pubackBytes(packetId));
    received++;
    if ((received & 15) === 0) latency.record(performance.now() - sentAt(payload));
  };
  const start = performance.now();
  pump();
  await progress;
  const seconds = (performance.now() - start) / 1000;
  await Promise.all([pub.close(), sub.close()]);
  if (durable) {
    // Leave no durable subscription behind: a clean session discards it.
    const cleanup = await MqttLoadClient.connect(o.port, { clientId: subId, level, clean: true });
    await cleanup.close();
  }
  return {
    workload: 'mqtt-qos1',
    messages: received,
    seconds,
    figures: { 'msg/s': received / seconds, durable: String(durable), p50_ms: latency.percentile(50), p99_ms: latency.percentile(99) },
  };
}
