import { describe, expect, it } from 'vitest';
import type { BrokerCore } from '../../src/core/index.js';
import { coresPerTest, connect, DLQ, expectCode, flush, msg, queue } from './core-fixture.js';

/** A timeout the sweep timer never reaches within a test: time is moved on with takeBackOverdue(now). */
const TIMEOUT = 60_000;
const cores = coresPerTest({
  policies: [{ match: 'vis.>', visibilityTimeoutMs: TIMEOUT, maxRedeliveries: 1, deadLetterQueue: 'DLQ.{name}' }],
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bodies = (ds: Array<{ message: { body: Uint8Array } }>) => ds.map((d) => Buffer.from(d.message.body).toString());
const later = (ms: number) => Date.now() + ms;
const stateOf = (core: BrokerCore, name: string) => core.stats().destinations.find((d) => d.name === name);

describe('visibility timeout (core.policies visibilityTimeoutMs, SQS VisibilityTimeout)', () => {
  it('takes back a delivery left unsettled too long and delivers it again; the late settlement changes nothing', async () => {
    const core = await cores.start();
    const { session, sink } = connect(core);
    const slow = await session.subscribe(queue('vis.a'), { flow: { kind: 'window', size: 1 } });
    await session.send(queue('vis.a'), msg('job'));
    await flush();
    const [first] = sink.of(slow);
    expect(first).toMatchObject({ deliveryCount: 1, redelivered: false });
    const other = await session.subscribe(queue('vis.a'), { flow: { kind: 'window', size: 1 } });
    core.takeBackOverdue(later(TIMEOUT - 1000));
    expect(sink.of(other)).toHaveLength(0); // still within the timeout
    core.takeBackOverdue(later(TIMEOUT + 1000));
    await flush();
    // The slow consumer still holds its copy (it fills its window), so the other one gets it.
    expect(sink.of(other).map((d) => [Buffer.from(d.message.body).toString(), d.deliveryCount, d.redelivered])).toEqual([['job', 2, true]]);
    expect(sink.of(slow)).toHaveLength(1);
    await session.settle(slow, first!.id, 'accepted'); // late: resolves, consumes nothing
    expect(stateOf(core, 'vis.a')).toMatchObject({ depth: 1, inflight: 1 });
    await session.settle(other, sink.of(other)[0]!.id, 'accepted');
    expect(stateOf(core, 'vis.a')).toMatchObject({ depth: 0, inflight: 0 });
  });

  it('frees the window slot of a taken-back delivery when the client settles it late', async () => {
    const core = await cores.start();
    const { session, sink } = connect(core);
    const c = await session.subscribe(queue('vis.g'), { flow: { kind: 'window', size: 1 } });
    await session.send(queue('vis.g'), msg('job'));
    await flush();
    core.takeBackOverdue(later(TIMEOUT + 1000));
    await flush();
    expect(sink.of(c)).toHaveLength(1); // back in the queue, but the client's copy still fills its window
    await session.settle(c, sink.of(c)[0]!.id, 'accepted');
    await flush();
    expect(sink.of(c).map((d) => d.deliveryCount)).toEqual([1, 2]);
  });

  it('counts each take-back as a failed receive: past maxRedeliveries the message is dead-lettered', async () => {
    const core = await cores.start();
    const { session, sink } = connect(core);
    const c = await session.subscribe(queue('vis.b'), { flow: { kind: 'window', size: 10 } });
    await session.send(queue('vis.b'), msg('poison'));
    await flush();
    core.takeBackOverdue(later(TIMEOUT + 1000)); // delivered again
    await flush();
    core.takeBackOverdue(later(2 * TIMEOUT + 2000)); // and past the limit: dead-lettered
    await flush();
    expect(sink.of(c).map((d) => d.deliveryCount)).toEqual([1, 2]);
    const dlq = await session.subscribe(queue('DLQ.vis.b'), { flow: { kind: 'window', size: 10 } });
    await flush();
    expect(bodies(sink.of(dlq))).toEqual(['poison']);
    expect(sink.of(dlq)[0]!.message.originalDestination?.name).toBe('vis.b');
  });

  it('settled deliveries, queues without the policy and consumers that are not revocable keep theirs', async () => {
    const core = await cores.start();
    const { session, sink } = connect(core);
    const settled = await session.subscribe(queue('vis.c'), { flow: { kind: 'window', size: 10 } });
    const held = await session.subscribe(queue('vis.d'), { flow: { kind: 'window', size: 10 }, revocable: false });
    const plain = await session.subscribe(queue('plain'), { flow: { kind: 'window', size: 10 } });
    for (const q of ['vis.c', 'vis.d', 'plain']) await session.send(queue(q), msg(q));
    await flush();
    await session.settle(settled, sink.of(settled)[0]!.id, 'accepted');
    core.takeBackOverdue(later(10 * TIMEOUT));
    await flush();
    expect([sink.of(settled), sink.of(held), sink.of(plain)].map((ds) => ds.length)).toEqual([1, 1, 1]);
    await session.settle(held, sink.of(held)[0]!.id, 'accepted');
    await session.settle(plain, sink.of(plain)[0]!.id, 'accepted');
    const dlq = await session.subscribe(queue(DLQ), { flow: { kind: 'window', size: 10 } });
    await flush();
    expect(sink.of(dlq)).toHaveLength(0);
  });

  it('a cumulative settlement also forgets the taken-back deliveries before the one it names', async () => {
    const core = await cores.start();
    const { session, sink } = connect(core);
    const c = await session.subscribe(queue('vis.e'), { flow: { kind: 'window', size: 10 } });
    await session.send(queue('vis.e'), msg('first'));
    await sleep(20);
    const between = Date.now();
    await sleep(20);
    await session.send(queue('vis.e'), msg('second'));
    await flush();
    const [first, second] = sink.of(c);
    core.takeBackOverdue(between + TIMEOUT); // the first is taken back (and delivered again), the second not yet
    await flush();
    expect(bodies(sink.of(c))).toEqual(['first', 'second', 'first']);
    await session.settle(c, second!.id, 'accepted', { cumulative: true });
    expect(stateOf(core, 'vis.e')).toMatchObject({ depth: 1, inflight: 1 });
    await expectCode(session.settle(c, first!.id, 'accepted'), 'NO_SUCH_DELIVERY');
    await session.settle(c, sink.of(c)[2]!.id, 'accepted');
    expect(stateOf(core, 'vis.e')).toMatchObject({ depth: 0 });
  });

  it('sweeps on its own, a tenth of the shortest timeout apart', async () => {
    const core = await cores.start({ policies: [{ match: 'vis.>', visibilityTimeoutMs: 200 }] });
    const { session, sink } = connect(core);
    const c = await session.subscribe(queue('vis.f'), { flow: { kind: 'window', size: 10 } });
    await session.send(queue('vis.f'), msg('again'));
    for (let waited = 0; sink.of(c).length < 2 && waited < 5000; waited += 20) await sleep(20);
    expect(sink.of(c).map((d) => d.deliveryCount)).toEqual([1, 2]);
  });
});
