import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { WorkloadResult } from '../stats.js';
import { MqttLoadClient } from './mqtt-load-client.js';

export interface MqttConnsOptions {
  port: number;
  /** Idle connections to open and hold. */
  connections: number;
  /** CONNECTs in progress at once. */
  concurrency?: number;
  /** The broker's process id, to read its RSS (/proc); without it, this process's RSS is used. */
  brokerPid?: number;
  /** How long the connections stay idle before RSS is read. */
  idleMs?: number;
}

function rssBytes(pid: number | undefined): number {
  if (pid === undefined) return process.memoryUsage().rss;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/**
 * N idle device connections (3.1.1, clean session, keep alive 60 s): the connect rate and the
 * broker's RSS per connection.
 */
export async function runMqttConns(o: MqttConnsOptions): Promise<WorkloadResult> {
  const concurrency = o.concurrency ?? 200;
  const before = rssBytes(o.brokerPid);
  const clients: MqttLoadClient[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < o.connections) {
      const i = next++;
      clients.push(await MqttLoadClient.connect(o.port, { clientId: `bench-device-${i}`, keepalive: 60 }));
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  await new Promise((r) => setTimeout(r, o.idleMs ?? 3000));
  const after = rssBytes(o.brokerPid);
  for (let i = 0; i < clients.length; i += 500) await Promise.all(clients.slice(i, i + 500).map((c) => c.close()));
  return {
    workload: 'mqtt-conns',
    messages: clients.length,
    seconds,
    figures: {
      'connects/s': clients.length / seconds,
      'rss_per_conn_KiB': (after - before) / clients.length / 1024,
      rss_MiB: after / 1024 / 1024,
      rss_source: o.brokerPid === undefined ? 'this process (broker and clients)' : 'broker process',
    },
  };
}
