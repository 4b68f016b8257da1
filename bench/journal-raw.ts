import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { JournalStore, type SyncPolicy } from '../src/store/journal/index.js';
import { printResult } from './stats.js';

/**
 * The journal on its own, no broker: `node --import tsx bench/journal-raw.ts [--messages N]
 * [--in-flight N] [--body BYTES] [--sync always|interval] [--dir DIR]`.
 *  1. commit N messages (one message + one enqueue per commit) with N in flight: commits/s,
 *     messages per fdatasync;
 *  2. close and open again: recovery time (wall and CPU) for the N queued messages.
 * With --dir, the journal is left there for further runs.
 */
interface Args {
  messages: number;
  inFlight: number;
  body: number;
  sync: SyncPolicy;
  dir: string | undefined;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { messages: 1_000_000, inFlight: 2000, body: 256, sync: 'always', dir: undefined };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--messages': a.messages = Number(v); i++; break;
      case '--in-flight': a.inFlight = Number(v); i++; break;
      case '--body': a.body = Number(v); i++; break;
      case '--sync': a.sync = v as SyncPolicy; i++; break;
      case '--dir': a.dir = v; i++; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return a;
}

async function writePhase(args: Args, dir: string): Promise<void> {
  const store = new JournalStore({ dir, sync: args.sync });
  await store.open();
  await store.commit([{ kind: 'queue-put', queue: 'bench.queue', meta: new Uint8Array(0) }]);
  const body = Buffer.alloc(args.body, 'x');
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: args.inFlight }, async () => {
    while (next < args.messages) {
      const i = next++;
      const id = `ID:bench-${i}`;
      await store.commit([{ kind: 'message', id, data: body }, { kind: 'enqueue', queue: 'bench.queue', id, seq: i }]);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  const s = store.stats();
  await store.close();
  printResult({
    workload: `journal-commit (${args.sync}, ${args.inFlight} in flight)`, messages: args.messages, seconds,
    figures: {
      'commits/s': args.messages / seconds,
      'messages/fsync': s.syncs ? s.messages / s.syncs : 0,
      'MB/s': s.bytesWritten / seconds / 1e6,
      segments: s.segments,
    },
  });
}

async function recoveryPhase(args: Args, dir: string): Promise<void> {
  const rss = process.memoryUsage().rss;
  const cpu = process.cpuUsage();
  const store = new JournalStore({ dir, compactIntervalMs: 3_600_000 });
  const started = performance.now();
  const state = await store.open();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const recovered = state.queues.get('bench.queue')?.entries.length ?? 0;
  const r = store.stats().recovery!;
  await store.close();
  if (recovered !== args.messages) throw new Error(`recovered ${recovered} of ${args.messages} messages`);
  printResult({
    workload: 'journal-recovery', messages: recovered, seconds,
    figures: {
      'messages/s': recovered / seconds,
      'cpu s': (used.user + used.system) / 1e6,
      'MB read': r.bytes / 1e6,
      records: r.records,
      'rss growth MB': (process.memoryUsage().rss - rss) / 1e6,
    },
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dir = args.dir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-journal-bench-')));
  try {
    await writePhase(args, dir);
    // Let the write phase's garbage go before timing recovery.
    await new Promise((r) => setTimeout(r, 100));
    await recoveryPhase(args, dir);
  } finally {
    if (!args.dir) await fs.rm(dir, { recursive: true, force: true });
  }
}

await main();
