import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalPair } from '../../src/drill/local-pair.js';
import { sleep } from '../../src/drill/pair.js';
import { closePair, createPair, eventually, RecordingStomp, stompServes } from './fault-pair.js';

/** Whether this process can mount a tmpfs (root, and a kernel/container that allows it); why not otherwise. */
function tmpfsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root';
  const probe = mkdtempSync(join(tmpdir(), 'wharf-tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return undefined;
  } catch (e) {
    return `mount -t tmpfs failed: ${(e as Error).message}`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

const unavailable = tmpfsUnavailable();
const QUEUE = 'disk.full';
const BODY = 'x'.repeat(4096);

let pair: LocalPair | undefined;
let mounted: string | undefined;
afterEach(async (ctx) => {
  await closePair(pair, ctx.task.result?.state === 'fail');
  if (mounted) execFileSync('umount', ['-l', mounted], { stdio: 'ignore' });
  pair = undefined;
  mounted = undefined;
});

describe('the journal disk fills up under a running broker', () => {
  if (unavailable) console.warn(`disk-full test skipped: ${unavailable}`);

  it.skipIf(unavailable !== undefined)('refuses persistent sends clearly, goes unready, keeps draining, loses nothing receipted', async () => {
    pair = await createPair({ WHARF_STORE_SEGMENT_BYTES: String(1024 * 1024), WHARF_LOG_LEVEL: 'warn' });
    const node = pair.nodes[0];
    // The journal directory, not the whole data directory: the HA lease file lives beside it.
    const journalDir = join(pair.dataDir, 'journal');
    mkdirSync(journalDir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', journalDir]);
    mounted = journalDir;
    pair.start(node);
    await eventually(() => stompServes(node), 30_000, 'broker serves STOMP');

    // Persistent 4 KiB sends, 20 receipts in flight, until the broker refuses one.
    const producer = await RecordingStomp.open(node);
    let sent = 0;
    const refused = () => producer.of('ERROR').length > 0 || !producer.session.isOpen;
    while (!refused() && sent < 5000) {
      while (sent - producer.of('RECEIPT').length < 20) {
        producer.session.write('SEND', { destination: `/queue/${QUEUE}`, persistent: 'true', receipt: `m-${sent}`, tag: `m-${sent}` }, BODY);
        sent++;
      }
      await sleep(1);
    }
    await eventually(() => refused(), 10_000, 'a refused send');
    const receipted = new Set(producer.receipts('m'));
    const error = producer.of('ERROR')[0];
    expect(error, `no ERROR frame after ${sent} sends (${receipted.size} receipted)`).toBeDefined();
    expect(`${error!.headers.message}\n${error!.body}`).toMatch(/store/i);
    expect(error!.body).toMatch(/STORE_FAILED/);
    expect(receipted.size).toBeGreaterThan(100);
    console.log(`disk-full: ${receipted.size} of ${sent} sends receipted before: ${error!.headers.message} / ${error!.body.trim()}`);
    await producer.close();

    const ready = await fetch(`${node.adminUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reason: string }).reason).toMatch(/store/i);

    // Consumers drain and ack what was receipted (removal-only commits go through a failed store).
    const consumer = await RecordingStomp.open(node);
    const acked = new Set<string>();
    consumer.session.onFrame = (f) => {
      consumer.frames.push(f);
      if (f.command === 'MESSAGE') consumer.session.write('ACK', { id: f.headers.ack!, receipt: `ack-${f.headers.tag}` });
      if (f.command === 'RECEIPT') acked.add(f.headers['receipt-id']!.slice(4));
    };
    consumer.subscribe(QUEUE, 'client-individual');
    await eventually(() => [...receipted].every((t) => acked.has(t)), 20_000, 'every receipted message delivered and acked');
    expect(consumer.of('ERROR')).toEqual([]);
    await consumer.close();

    // Restart on a bigger disk (the same files, copied off the tmpfs): nothing receipted is lost.
    pair.signal(node, 'SIGKILL');
    await pair.whenExited(node);
    const saved = mkdtempSync(join(tmpdir(), 'wharf-disk-full-'));
    cpSync(journalDir, saved, { recursive: true });
    execFileSync('umount', [journalDir]);
    mounted = undefined;
    cpSync(saved, journalDir, { recursive: true });
    rmSync(saved, { recursive: true, force: true });
    pair.start(node);
    await eventually(() => stompServes(node), 30_000, 'broker serves STOMP after the restart');
    expect((await fetch(`${node.adminUrl}/readyz`)).status).toBe(200);
    const after = await RecordingStomp.open(node);
    after.subscribe(QUEUE, 'auto');
    await eventually(() => {
      const got = new Set(after.messages());
      return [...receipted].every((t) => got.has(t));
    }, 20_000, 'every receipted message delivered after the restart');
    await after.close();
  }, 90_000);
});
