import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrokerProcess } from '../broker-process.js';
import type { WorkloadResult } from '../stats.js';
import { runStompQueue } from './stomp-queue.js';

/** A counter from the broker's /metrics (0 when absent). */
export async function metricOf(adminUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

/** What the disk does without a broker: append `bodyBytes` records, fdatasync after each, for ~`ms`. */
export async function rawFsyncRate(dir: string, bodyBytes: number, ms = 1000): Promise<number> {
  const file = join(dir, 'raw-fsync.bench');
  const fh = await open(file, 'w');
  const record = Buffer.alloc(bodyBytes, 'x');
  let n = 0;
  const started = performance.now();
  try {
    while (performance.now() - started < ms) {
      await fh.write(record);
      await fh.datasync();
      n++;
    }
  } finally {
    await fh.close();
    await rm(file, { force: true });
  }
  return n / ((performance.now() - started) / 1000);
}

/**
 * Persistent 256-byte STOMP sends (a RECEIPT each, after fdatasync) with 1, 10 and 100 producers
 * into one acking consumer, beside the disk's raw append+fdatasync rate: group commit should
 * turn many producers into few fsyncs (messages per fsync ≫ 1).
 */
export async function runPersistentStompQueue(broker: BrokerProcess, messages: number | undefined, bodyBytes: number): Promise<WorkloadResult[]> {
  const raw = await rawFsyncRate(broker.dataDir, bodyBytes);
  const results: WorkloadResult[] = [];
  for (const producers of [1, 10, 100]) {
    const syncsBefore = await metricOf(broker.adminUrl, 'wharf_store_syncs_total');
    const r = await runStompQueue({
      port: broker.ports.stomp!, messages: messages ?? (producers === 1 ? 30_000 : 100_000), bodyBytes,
      inFlight: Math.max(10, Math.floor(1000 / producers)), persistent: true, producers, prefetch: 1000,
      destination: `/queue/bench.persistent.${producers}`, label: `persistent-stomp-queue (${producers} producers)`,
    });
    const syncs = (await metricOf(broker.adminUrl, 'wharf_store_syncs_total')) - syncsBefore;
    results.push({
      ...r,
      figures: { ...r.figures, 'fsyncs/s': syncs / r.seconds, 'msg/fsync': syncs ? r.messages / syncs : 0, 'raw_fsyncs/s': raw },
    });
  }
  return results;
}
