import { afterEach, describe, expect, it } from 'vitest';
import type { LocalPair } from '../../src/drill/local-pair.js';
import { fetchRole, sleep, type PairNode } from '../../src/drill/pair.js';
import { closePair, createPair, eventually, RecordingStomp, roleBecomes, stompServes, TEST_LEASE_MS } from './fault-pair.js';

let pair: LocalPair | undefined;
afterEach(async (ctx) => {
  await closePair(pair, ctx.task.result?.state === 'fail');
  pair = undefined;
});

/** Samples both roles for `forMs`: every sample must show exactly one active at `epoch`, and it must be `active`. */
async function staysSettled(p: LocalPair, active: PairNode, epoch: number, forMs: number): Promise<void> {
  const until = Date.now() + forMs;
  while (Date.now() < until) {
    const [a, b] = await Promise.all(p.nodes.map((n) => fetchRole(n)));
    const roles = { [p.nodes[0].name]: a, [p.nodes[1].name]: b };
    for (const n of p.nodes) {
      expect(roles[n.name], n.name).toMatchObject(n === active ? { role: 'active', epoch } : { role: 'standby' });
    }
    await sleep(100);
  }
}

/** Time from the node's first admin answer until it is active (0 when its first answer is already active). */
async function msFromFirstAnswerToActive(node: PairNode): Promise<{ ms: number; epoch: number; first: string }> {
  const first = await eventually(() => fetchRole(node), 30_000, `node ${node.name} answers`);
  const since = performance.now();
  const active = first.role === 'active' ? first : await roleBecomes(node, 'active', 30_000);
  return { ms: performance.now() - since, epoch: active.epoch, first: first.role };
}

/** Runs both nodes into a settled pair with 5 acknowledged messages on `queue`, then kills both (SIGKILL). */
async function crashWholePair(p: LocalPair, queue: string): Promise<void> {
  for (const n of p.nodes) p.start(n);
  const { active } = await p.ready([], 30_000);
  const producer = await RecordingStomp.open(active);
  await producer.sendAcknowledged(queue, 'kept', 5);
  producer.session.destroy('crash');
  for (const n of p.nodes) p.signal(n, 'SIGKILL');
  await Promise.all(p.nodes.map((n) => p.whenExited(n)));
}

async function drainedFrom(node: PairNode, queue: string): Promise<string[]> {
  const consumer = await RecordingStomp.open(node);
  consumer.subscribe(queue);
  const tags = await consumer.drain();
  await consumer.close();
  return [...tags].sort();
}

describe('start order', () => {
  it('fresh data directory: the process started first (here the intended standby, b) becomes active at epoch 1 at once; the later one waits as standby', async () => {
    pair = await createPair();
    const [a, b] = pair.nodes;
    pair.start(b);
    const first = await msFromFirstAnswerToActive(b);
    expect(first.epoch).toBe(1);
    expect(first.ms).toBeLessThan(TEST_LEASE_MS / 2);
    pair.start(a);
    await roleBecomes(a, 'standby', 30_000);
    await staysSettled(pair, b, 1, 2 * TEST_LEASE_MS);
  }, 60_000);

  it('both started at once: exactly one becomes active at epoch 1, the other standby, and it stays so', async () => {
    pair = await createPair();
    for (const n of pair.nodes) pair.start(n);
    const { active, epoch } = await pair.ready([], 30_000);
    expect(epoch).toBe(1);
    await staysSettled(pair, active, 1, 2 * TEST_LEASE_MS);
  }, 60_000);

  it('after a crash of the whole pair: the first process back waits one lease period as standby, then takes over at the next epoch with every acknowledged message', async () => {
    pair = await createPair();
    await crashWholePair(pair, 'restart.crash');
    const [a, b] = pair.nodes;
    pair.start(a);
    // It cannot know whether an active is alive: it watches the lease stand still for a full period.
    const back = await msFromFirstAnswerToActive(a);
    expect(back.first).toBe('standby');
    expect(back.ms).toBeGreaterThanOrEqual(TEST_LEASE_MS * 0.8);
    expect(back.epoch).toBe(2);
    await eventually(() => stompServes(a), 5000, 'a serves');
    expect(await drainedFrom(a, 'restart.crash')).toEqual(['kept-0', 'kept-1', 'kept-2', 'kept-3', 'kept-4']);
    pair.start(b);
    await roleBecomes(b, 'standby', 30_000);
  }, 60_000);

  it('after a graceful stop of the whole pair (the lease released): the first process back takes over at once', async () => {
    pair = await createPair();
    for (const n of pair.nodes) pair.start(n);
    const { active, standby } = await pair.ready([], 30_000);
    pair.signal(standby, 'SIGTERM');
    await pair.whenExited(standby);
    pair.signal(active, 'SIGTERM');
    await pair.whenExited(active);
    expect(pair.exitOf(active)).toEqual({ code: 0, signal: null });
    pair.start(standby);
    const back = await msFromFirstAnswerToActive(standby);
    expect(back.ms).toBeLessThan(TEST_LEASE_MS / 2);
    expect(back.epoch).toBe(2);
  }, 60_000);
});
