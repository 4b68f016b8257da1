import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { amqpClient } from '../../src/drill/amqp/amqp-client.js';
import type { DrillSeries } from '../../src/drill/drill-series.js';
import type { DrillConsumer, DrillProducer, EndpointEvents, HostPort } from '../../src/drill/drill-protocol.js';
import type { LocalPair } from '../../src/drill/local-pair.js';
import { closePair, eventually, roleBecomes, ROOT, startPair, TEST_LEASE_MS } from './fault-pair.js';

/** Connection events of one endpoint, in order. */
class Events implements EndpointEvents {
  readonly log: Array<{ connected: boolean; detail: string }> = [];
  connected(a: HostPort): void {
    this.log.push({ connected: true, detail: `${a.host}:${a.port}` });
  }
  disconnected(reason: string): void {
    this.log.push({ connected: false, detail: reason });
  }
  get isConnected(): boolean {
    return this.log.at(-1)?.connected === true;
  }
  /** Connected to `a` after having been disconnected. */
  reconnectedTo(a: HostPort): boolean {
    const lost = this.log.findIndex((e) => !e.connected);
    return lost >= 0 && this.log.slice(lost).some((e) => e.connected && e.detail === `${a.host}:${a.port}`);
  }
}

let pair: LocalPair | undefined;
let dir: string | undefined;
const open: Array<DrillProducer | DrillConsumer> = [];
afterEach(async (ctx) => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  await closePair(pair, ctx.task.result?.state === 'fail');
  pair = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('AMQP across a takeover', () => {
  it('a rhea producer and consumer on both addresses continue after SIGKILL of the active; no accepted message is lost', async () => {
    pair = await startPair();
    const { active, standby } = await pair.ready([amqpClient], 30_000);
    const addresses = [active.addresses.amqp!, standby.addresses.amqp!];
    const queue = `amqp.failover.${Date.now().toString(36)}`;

    const received = new Map<number, number>();
    const consumerEvents = new Events();
    const consumer = amqpClient.consumer({ name: 'amqp-c0', addresses, queue, events: consumerEvents, prefetch: 50 }, (d) => {
      if (d.producer === 'amqp-p0') received.set(d.seq, (received.get(d.seq) ?? 0) + 1);
    });
    open.push(consumer);
    const producerEvents = new Events();
    const producer = amqpClient.producer({ name: 'amqp-p0', addresses, queue, events: producerEvents });
    open.push(producer);
    await eventually(() => consumerEvents.isConnected && producerEvents.isConnected, 10_000, 'producer and consumer attached');

    // Load: one durable send every 5 ms while connected, at most 100 in flight.
    const accepted: number[] = [];
    const outcomes: Array<Promise<void>> = [];
    let seq = 0;
    let acceptedAfterKill = 0;
    let killed = false;
    const load = setInterval(() => {
      if (!producer.connected || producer.inFlight >= 100) return;
      const n = seq++;
      const sent = producer.send({ producer: 'amqp-p0', seq: n });
      if (!sent) return;
      outcomes.push(sent.then((ok) => {
        if (!ok) return;
        accepted.push(n);
        if (killed) acceptedAfterKill++;
      }));
    }, 5);
    try {
      await eventually(() => accepted.length >= 100, 15_000, '100 accepted before the kill');
      pair.signal(active, 'SIGKILL');
      killed = true;
      await roleBecomes(standby, 'active', 20_000);
      await eventually(() => producerEvents.reconnectedTo(standby.addresses.amqp!) && consumerEvents.reconnectedTo(standby.addresses.amqp!),
        20_000, 'producer and consumer reattached on the new active');
      await eventually(() => acceptedAfterKill >= 100, 15_000, '100 accepted after the takeover');
    } finally {
      clearInterval(load);
    }
    await Promise.all(outcomes);

    await eventually(() => accepted.every((n) => received.has(n)), 15_000, 'every accepted message received').catch(() => undefined);
    const lost = accepted.filter((n) => !received.has(n));
    const duplicates = [...received.values()].filter((count) => count > 1).length;
    console.log(`amqp failover: sent ${seq}, accepted ${accepted.length} (${acceptedAfterKill} after the kill), ` +
      `received ${received.size} distinct, duplicated ${duplicates}, lost ${lost.length}`);
    expect(lost.slice(0, 20), `lost ${lost.length} accepted messages`).toEqual([]);
    expect(producerEvents.log.some((e) => !e.connected)).toBe(true);
  }, 60_000);

  it('wharf drill on a local pair drives AMQP too: a hard failover passes', async () => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-amqp-drill-'));
    const json = join(dir, 'drill.json');
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WHARF_')));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'drill', '--mode', 'hard', '--warmup-ms', '800', '--after-ms', '300', '--json', json],
      { cwd: ROOT, env: { ...clean, WHARF_HA_LEASE_MS: String(TEST_LEASE_MS) } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code, output).toBe(0);

    const series = JSON.parse(readFileSync(json, 'utf8')) as DrillSeries;
    expect(series.protocols).toContain('amqp');
    expect(series.summary).toMatchObject({ runs: 1, passed: 1, verdict: 'PASS', lost: 0 });
    const run = series.runs[0]!;
    const amqp = run.clients.filter((c) => c.protocol === 'amqp');
    expect(amqp.map((c) => c.kind).sort(), output).toEqual(['consumer', 'consumer', 'producer', 'producer']);
    for (const c of amqp) expect(c.reconnectedMs, `${c.name}\n${output}`).toBeDefined();
    for (const c of amqp.filter((x) => x.kind === 'producer')) expect(c.firstAckMs, `${c.name}\n${output}`).toBeDefined();
  }, 90_000);
});
