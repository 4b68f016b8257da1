import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HaNode, type HaOptions } from '../../src/ha/ha-node.js';
import { LeaseFiles } from '../../src/ha/lease-files.js';

const TIMINGS = { leaseMs: 600, renewMs: 100, pollMs: 50 };

interface Probe {
  node: HaNode;
  activations: number[];
  deactivations: string[];
}

let dir: string;
let nodes: HaNode[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wharf-ha-'));
  nodes = [];
});

afterEach(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
});

function startNode(extra: Partial<HaOptions> = {}): Probe {
  const probe: Probe = { node: undefined as unknown as HaNode, activations: [], deactivations: [] };
  probe.node = new HaNode({
    dataDir: dir,
    ...TIMINGS,
    logger: pino({ level: 'silent' }),
    activate: async (epoch) => { probe.activations.push(epoch); },
    deactivate: async (reason) => { probe.deactivations.push(reason); },
    failed: () => undefined,
    ...extra,
  });
  nodes.push(probe.node);
  probe.node.start();
  return probe;
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
}

interface NodeInternals {
  timer: NodeJS.Timeout;
  role: string;
  renewer?: { stop(): void };
  tick(): void;
}

/** Stops a node's timers and renewal thread without releasing its lease: what SIGKILL (or, until resumed, SIGSTOP) leaves. */
function freeze(node: HaNode): void {
  const n = node as unknown as NodeInternals;
  clearTimeout(n.timer);
  n.renewer?.stop();
}

function kill(node: HaNode): void {
  freeze(node);
  (node as unknown as NodeInternals).role = 'stopped';
}

describe('HA node', () => {
  it('the first node on a fresh directory becomes active at epoch 1; a second one waits as standby', async () => {
    const a = startNode();
    await until(() => a.node.currentRole === 'active');
    expect(a.activations).toEqual([1]);
    const b = startNode();
    await new Promise((r) => setTimeout(r, TIMINGS.leaseMs * 2));
    expect(b.node.currentRole).toBe('standby');
    expect(b.activations).toEqual([]);
    expect(a.node.mayAcknowledge()).toBe(true);
    expect(b.node.mayAcknowledge()).toBe(false);
  });

  it('two nodes started at once: exactly one becomes active', async () => {
    const a = startNode();
    const b = startNode();
    await until(() => a.node.currentRole === 'active' || b.node.currentRole === 'active');
    await new Promise((r) => setTimeout(r, TIMINGS.leaseMs * 2));
    const actives = [a, b].filter((p) => p.node.currentRole === 'active');
    expect(actives).toHaveLength(1);
    expect(new LeaseFiles(dir).currentEpoch()).toBe(1);
  });

  it('a standby takes over after the active stops renewing, with a higher epoch, within about a lease', async () => {
    const a = startNode();
    await until(() => a.node.currentRole === 'active');
    const b = startNode();
    await until(() => b.node.currentRole === 'standby');
    kill(a.node);
    const took = await until(() => b.node.currentRole === 'active');
    expect(b.activations).toEqual([2]);
    expect(took).toBeGreaterThanOrEqual(TIMINGS.leaseMs - 50);
    expect(took).toBeLessThan(TIMINGS.leaseMs * 3);
  });

  it('a paused active fails its validity, acknowledges nothing, and steps down when it resumes', async () => {
    const a = startNode();
    await until(() => a.node.currentRole === 'active');
    const b = startNode();
    await until(() => b.node.currentRole === 'standby');
    // Pause the active's renewals, as SIGSTOP would (neither thread runs).
    freeze(a.node);
    await until(() => b.node.currentRole === 'active');
    expect(a.node.mayAcknowledge()).toBe(false);
    // Resume: its next tick sees the expired lease / newer epoch and steps down.
    (a.node as unknown as NodeInternals).tick();
    await until(() => a.node.currentRole === 'standby');
    expect(a.deactivations).toHaveLength(1);
    expect(b.node.mayAcknowledge()).toBe(true);
  });

  it('a planned handoff lets the standby take over at once, well before a lease expires', async () => {
    const long = { leaseMs: 3000 };
    const a = startNode(long);
    await until(() => a.node.currentRole === 'active');
    const b = startNode(long);
    await until(() => b.node.currentRole === 'standby');
    const start = Date.now();
    await a.node.handoff(true);
    await until(() => b.node.currentRole === 'active');
    expect(Date.now() - start).toBeLessThan(long.leaseMs / 3);
    expect(a.node.currentRole).toBe('standby');
    expect(a.deactivations).toEqual(['handoff']);
  });

  it('a lease file deleted or corrupted by hand is rewritten by the active; the standby does not take over', async () => {
    const a = startNode();
    await until(() => a.node.currentRole === 'active');
    const b = startNode();
    await until(() => b.node.currentRole === 'standby');
    const files = new LeaseFiles(dir);
    unlinkSync(join(files.dir, 'lease'));
    await new Promise((r) => setTimeout(r, TIMINGS.renewMs * 3));
    expect(files.readLease()?.epoch).toBe(1);
    writeFileSync(join(files.dir, 'lease'), '{garbage');
    await new Promise((r) => setTimeout(r, TIMINGS.leaseMs * 2));
    expect(files.readLease()?.epoch).toBe(1);
    expect(a.node.currentRole).toBe('active');
    expect(b.node.currentRole).toBe('standby');
  });

  it('a node whose activation fails releases the lease and stops; its peer takes over at once', async () => {
    let failure: unknown;
    const a = startNode({ leaseMs: 3000, activate: async () => { throw new Error('port in use'); }, failed: (e) => { failure = e; } });
    await until(() => a.node.currentRole === 'stopped');
    expect((failure as Error).message).toBe('port in use');
    const b = startNode({ leaseMs: 3000 });
    const took = await until(() => b.node.currentRole === 'active');
    expect(took).toBeLessThan(1000);
    expect(b.activations).toEqual([2]);
  });

  it('a main thread stalled longer than the lease keeps it: renewals run on their own thread', async () => {
    const a = startNode();
    await until(() => a.node.currentRole === 'active' && (a.node as unknown as { renewer: { beat: number } }).renewer.beat > 1_000_000);
    const b = startNode();
    await until(() => b.node.currentRole === 'standby');
    const stallUntil = Date.now() + TIMINGS.leaseMs * 2.5;
    while (Date.now() < stallUntil) { /* a long GC pause or a replay: the event loop does not run */ }
    expect(a.node.mayAcknowledge()).toBe(true);
    await new Promise((r) => setTimeout(r, TIMINGS.leaseMs * 2));
    expect(a.node.currentRole).toBe('active');
    expect(b.node.currentRole).toBe('standby');
    expect(new LeaseFiles(dir).currentEpoch()).toBe(1);
  });

  it('rejects timings that leave no safety margin', () => {
    expect(() => new HaNode({ dataDir: dir, leaseMs: 200, renewMs: 100, pollMs: 50, logger: pino({ level: 'silent' }), activate: async () => {}, deactivate: async () => {}, failed: () => undefined }))
      .toThrow(/leaseMs/);
  });
});
