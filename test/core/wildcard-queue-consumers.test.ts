import { describe, expect, it } from 'vitest';
import type { BrokerCore } from '../../src/core/index.js';
import { coresPerTest, connect, expectCode, flush, msg, queue } from './core-fixture.js';
import { RecordingSink } from './recording-sink.js';

const cores = coresPerTest();
const bodies = (ds: Array<{ message: { body: Uint8Array } }>) => ds.map((d) => Buffer.from(d.message.body).toString());
const depthOf = (c: BrokerCore, name: string) => c.stats().destinations.find((d) => d.name === name)?.depth;

describe('wildcard queue consumers (ActiveMQ: a queue consumer on `orders.>`)', () => {
  it('consume every matching queue, those made later too, each message once and from its own queue', async () => {
    const core = await cores.start();
    const { session, sink } = connect(core);
    await session.send(queue('orders.eu'), msg('eu-1'));
    await session.send(queue('other.eu'), msg('not mine'));
    const c = await session.subscribe(queue('orders.>'), { flow: { kind: 'window', size: 10 } });
    await flush();
    expect(bodies(sink.of(c))).toEqual(['eu-1']);
    await session.send(queue('orders.us.east'), msg('us-1')); // a queue made after the subscription
    await session.send(queue('orders.eu'), msg('eu-2'));
    await flush();
    expect(bodies(sink.of(c))).toEqual(['eu-1', 'us-1', 'eu-2']);
    expect(sink.of(c).map((d) => [d.message.address.name, d.subscription.name])).toEqual([
      ['orders.eu', 'orders.>'], ['orders.us.east', 'orders.>'], ['orders.eu', 'orders.>'],
    ]);
    for (const d of sink.of(c)) await session.settle(c, d.id, 'accepted');
    expect([depthOf(core, 'orders.eu'), depthOf(core, 'orders.us.east'), depthOf(core, 'other.eu')]).toEqual([0, 0, 1]);
  });

  it('share one window across the queues, and a cumulative settlement covers them all', async () => {
    const core = await cores.start();
    const { session, sink } = connect(core);
    for (const q of ['w.a', 'w.b', 'w.c']) await session.send(queue(q), msg(q));
    const c = await session.subscribe(queue('w.*'), { flow: { kind: 'window', size: 2 } });
    await flush();
    expect(sink.of(c)).toHaveLength(2);
    await session.settle(c, sink.of(c)[1]!.id, 'accepted', { cumulative: true });
    await flush();
    expect(bodies(sink.of(c)).sort()).toEqual(['w.a', 'w.b', 'w.c']);
    await session.settle(c, sink.of(c)[2]!.id, 'accepted');
    expect(['w.a', 'w.b', 'w.c'].map((q) => depthOf(core, q))).toEqual([0, 0, 0]);
    await expectCode(session.settle(c, sink.of(c)[0]!.id, 'accepted'), 'NO_SUCH_DELIVERY');
  });

  it('compete with the queues\' own consumers, take credit as one consumer, and give back what they hold on close', async () => {
    const core = await cores.start();
    const own = connect(core);
    const wild = connect(core);
    const c = await wild.session.subscribe(queue('jobs.>'), { flow: { kind: 'credit', initial: 1 } });
    const direct = await own.session.subscribe(queue('jobs.x'), { flow: { kind: 'window', size: 10 } });
    for (let i = 0; i < 4; i++) await own.session.send(queue(i % 2 ? 'jobs.x' : 'jobs.y'), msg(`j${i}`));
    await flush();
    expect(wild.sink.of(c)).toHaveLength(1); // one credit for all its queues
    wild.session.addCredit(c, 10);
    await flush();
    expect(wild.sink.of(c).length + own.sink.of(direct).length).toBe(4);
    expect(wild.session.drain(c)).toBeGreaterThan(0);
    await wild.session.unsubscribe(c);
    const held = wild.sink.of(c).length;
    expect((depthOf(core, 'jobs.x') ?? 0) + (depthOf(core, 'jobs.y') ?? 0)).toBe(held + own.sink.of(direct).length);
    await own.session.send(queue('jobs.z'), msg('after close'));
    await flush();
    expect(wild.sink.of(c)).toHaveLength(held);
    expect(core.stats().destinations.find((d) => d.name === 'jobs.z')?.consumers).toBe(0);
  });

  it('deliver from a queue made while subscribing only once the consumer id is known', async () => {
    const core = await cores.start();
    // A session without the fixture's wait after subscribe: the id resolves before deliveries may start.
    const sink = new RecordingSink();
    const session = core.openSession({ principal: { name: 'tester', anonymous: false }, protocol: 'test' }, sink);
    let early = -1;
    const pending = session.subscribe(queue('late.>'), { flow: { kind: 'window', size: 10 } }).then((id) => {
      early = sink.deliveries.length;
      return id;
    });
    await session.send(queue('late.new'), msg('raced', { persistent: false })); // routed at once, not after a commit
    const c = await pending;
    await flush();
    expect(early).toBe(0);
    expect(bodies(sink.of(c))).toEqual(['raced']);
  });

  it('take turns between the queues when the window frees up, so a busy queue does not starve the others', async () => {
    const core = await cores.start();
    const { session, sink } = connect(core);
    for (let i = 0; i < 4; i++) await session.send(queue('busy.a'), msg(`a${i}`));
    await session.send(queue('busy.b'), msg('b0'));
    const c = await session.subscribe(queue('busy.*'), { flow: { kind: 'window', size: 1 } });
    for (let i = 0; i < 3; i++) {
      await session.settle(c, sink.last(c).id, 'accepted');
      await flush();
    }
    expect(bodies(sink.of(c)).slice(0, 3)).toContain('b0');
  });

  it('leave temporary queues alone, and refuse sends to a wildcard', async () => {
    const core = await cores.start();
    const { session, sink } = connect(core);
    const temp = session.createTemporary('anycast');
    const c = await session.subscribe(queue('>'), { flow: { kind: 'unbounded' }, autoSettle: true });
    await session.send(temp, msg('private'));
    await session.send(queue('public'), msg('public'));
    await flush();
    expect(bodies(sink.of(c))).toEqual(['public']);
    await expectCode(session.send(queue('any.*'), msg('x')), 'INVALID_ADDRESS');
  });
});
