import { afterEach, describe, expect, it } from 'vitest';
import type { LocalPair } from '../../src/drill/local-pair.js';
import { fetchRole, sleep, type PairNode } from '../../src/drill/pair.js';
import { closePair, CLIENTS, eventually, RecordingStomp, roleBecomes, startPair, stompServes } from './fault-pair.js';

let pair: LocalPair | undefined;
const open: RecordingStomp[] = [];
afterEach(async (ctx) => {
  for (const c of open.splice(0)) c.session.destroy('test over');
  await closePair(pair, ctx.task.result?.state === 'fail');
  pair = undefined;
});

async function connect(...args: Parameters<typeof RecordingStomp.open>): Promise<RecordingStomp> {
  const c = await RecordingStomp.open(...args);
  open.push(c);
  return c;
}

const range = (tag: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${tag}-${i}`);

/** What the scenario leaves for the checks. */
interface Paused {
  pair: LocalPair;
  old: PairNode;
  next: PairNode;
  epoch: number;
  oldProducer: RecordingStomp;
  oldConsumer: RecordingStomp;
}

const QUEUE = 'split.brain';

/**
 * 20 acknowledged messages on the active; it is paused (SIGSTOP) with a producer and a consumer
 * connected; while paused, the producer sends 10 more and the consumer subscribes (the frames wait
 * in its socket buffers); the standby takes over and acknowledges 10 sends; then the old active
 * resumes (SIGCONT) and steps down.
 */
async function pauseAndTakeOver(): Promise<Paused> {
  const p = (pair = await startPair());
  const { active: old, standby: next, epoch } = await p.ready(CLIENTS, 30_000);
  const oldProducer = await connect(old);
  await oldProducer.sendAcknowledged(QUEUE, 'before', 20);
  const oldConsumer = await connect(old);

  p.signal(old, 'SIGSTOP');
  oldProducer.send(QUEUE, 'paused', 10);
  oldConsumer.subscribe(QUEUE, 'client-individual');

  const took = await roleBecomes(next, 'active', 15_000);
  expect(took.epoch).toBe(epoch + 1);
  await eventually(() => stompServes(next), 5000, 'the new active serves');
  const newProducer = await connect(next);
  await newProducer.sendAcknowledged(QUEUE, 'after', 10);

  p.signal(old, 'SIGCONT');
  // It steps down: standby at its old epoch (it claims nothing by itself), its STOMP listener closed.
  const stepped = await roleBecomes(old, 'standby', 10_000);
  expect(stepped.epoch).toBe(epoch);
  await eventually(async () => !(await stompServes(old)), 5000, 'the old active closed its STOMP listener');
  await eventually(() => !oldProducer.session.isOpen && !oldConsumer.session.isOpen, 5000, 'the old connections closed');
  await sleep(200);
  return { pair: p, old, next, epoch, oldProducer, oldConsumer };
}

describe('split brain: the active is paused (SIGSTOP) past its lease while the standby takes over', () => {
  it('the old active acknowledges nothing after its lease expired and steps down; nothing acknowledged is lost; what it wrote is never replayed', async () => {
    const { pair: p, old, next, epoch, oldProducer } = await pauseAndTakeOver();
    // No RECEIPT for anything sent while it was paused (an ERROR, then the connection closed).
    expect(oldProducer.receipts('paused')).toEqual([]);

    // Every acknowledged message is on the new active, once; the in-doubt paused ones are not.
    const consumer = await connect(next);
    consumer.subscribe(QUEUE);
    const received = await consumer.drain();
    expect([...received].sort()).toEqual([...range('before', 20), ...range('after', 10)].sort());
    expect((await fetchRole(next))?.role).toBe('active');

    // Fencing in the journal: whatever the old active wrote after the takeover is never replayed.
    // The new active consumed everything; kill it, and the old node takes over with an empty queue.
    await consumer.close();
    p.signal(next, 'SIGKILL');
    const third = await roleBecomes(old, 'active', 15_000);
    expect(third.epoch).toBe(epoch + 2);
    await eventually(() => stompServes(old), 5000, 'the old node serves again');
    const last = await connect(old);
    last.subscribe(QUEUE);
    expect(await last.drain()).toEqual([]);
  }, 60_000);

  it('the old active serves no message after its lease expired (so none is served by two actives)', async () => {
    const { oldConsumer } = await pauseAndTakeOver();
    // The subscription it read after resuming must get nothing: the new active serves those messages.
    // Delivery has no lease check of its own: frames read while the step-down is still closing the
    // adapters (or before the HA timer runs at all) are served. This fails now and then until the
    // core stops dispatching synchronously when the lease is lost.
    expect(oldConsumer.messages(), 'messages served by the old active after its lease expired').toEqual([]);
  }, 60_000);
});
