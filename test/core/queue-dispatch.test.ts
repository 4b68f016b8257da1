import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BrokerCore } from '../../src/core/index.js';
import type { Delivery } from '../../src/spi/core.js';
import { connect, expectCode, flush, msg, queue, startCore } from './core-fixture.js';
import { RecordingSink } from './recording-sink.js';

let core: BrokerCore;
beforeEach(async () => { core = await startCore(); });
afterEach(async () => { await core.stop(); });

async function sendAll(session: ReturnType<typeof connect>['session'], name: string, bodies: string[], extra = {}): Promise<void> {
  for (const b of bodies) await session.send(queue(name), msg(b, extra));
}

describe('queue dispatch', () => {
  it('round-robins between competing consumers, one copy per message', async () => {
    const { session, sink } = connect(core);
    const c1 = await session.subscribe(queue('orders'), { flow: { kind: 'window', size: 100 } });
    const c2 = await session.subscribe(queue('orders'), { flow: { kind: 'window', size: 100 } });
    await sendAll(session, 'orders', ['1', '2', '3', '4', '5', '6']);
    expect(sink.bodies(c1)).toEqual(['1', '3', '5']);
    expect(sink.bodies(c2)).toEqual(['2', '4', '6']);
    expect(sink.deliveries).toHaveLength(6);
    expect(sink.deliveries.every((d) => d.deliveryCount === 1 && !d.redelivered)).toBe(true);
    expect(sink.last(c1).subscription).toEqual(queue('orders'));
    expect(sink.last(c1).message.address).toEqual(queue('orders'));
  });

  it('fills the consumers that have room when others are full', async () => {
    const { session, sink } = connect(core);
    const c1 = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    const c2 = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    await sendAll(session, 'q', ['a', 'b', 'c', 'd']);
    expect(sink.bodies(c1)).toEqual(['a']);
    expect(sink.bodies(c2)).toEqual(['b', 'c', 'd']);
  });

  it('assigns message ids and timestamps, and keeps a producer-given id', async () => {
    const { session, sink } = connect(core);
    await session.subscribe(queue('q'), { flow: { kind: 'unbounded' }, autoSettle: true });
    const before = Date.now();
    await session.send(queue('q'), msg('x'));
    await session.send(queue('q'), msg('y', { messageId: 'ID:mine-1', timestamp: 42 }));
    const [x, y] = sink.deliveries;
    expect(x!.message.messageId).toMatch(/\S/);
    expect(x!.message.timestamp).toBeGreaterThanOrEqual(before);
    expect(y!.message.messageId).toBe('ID:mine-1');
    expect(y!.message.timestamp).toBe(42);
    expect(x!.message.messageId).not.toBe(y!.message.messageId);
  });
});

describe('flow control', () => {
  it('window N: at most N unsettled deliveries; each settlement frees one slot', async () => {
    const { session, sink } = connect(core);
    await sendAll(session, 'q', ['1', '2', '3', '4', '5']);
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 2 } });
    expect(sink.bodies(c)).toEqual(['1', '2']);
    await session.settle(c, sink.deliveries[0]!.id, 'accepted');
    expect(sink.bodies(c)).toEqual(['1', '2', '3']);
    // Settling an older one frees exactly one slot again.
    await session.settle(c, sink.deliveries[1]!.id, 'accepted');
    expect(sink.bodies(c)).toEqual(['1', '2', '3', '4']);
    await session.settle(c, sink.deliveries[2]!.id, 'accepted');
    await session.settle(c, sink.deliveries[3]!.id, 'accepted');
    expect(sink.bodies(c)).toEqual(['1', '2', '3', '4', '5']);
    await session.send(queue('q'), msg('6'));
    expect(sink.bodies(c)).toEqual(['1', '2', '3', '4', '5', '6']);
  });

  it('addCredit widens a window consumer by n', async () => {
    const { session, sink } = connect(core);
    await sendAll(session, 'q', ['1', '2', '3', '4']);
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    expect(sink.bodies(c)).toEqual(['1']);
    session.addCredit(c, 2);
    expect(sink.bodies(c)).toEqual(['1', '2', '3']);
  });

  it('credit: starts with `initial`, never refilled by settling, topped up by addCredit', async () => {
    const { session, sink } = connect(core);
    await sendAll(session, 'q', ['1', '2', '3', '4', '5']);
    const c = await session.subscribe(queue('q'), { flow: { kind: 'credit', initial: 2 } });
    expect(sink.bodies(c)).toEqual(['1', '2']);
    await session.settle(c, sink.deliveries[0]!.id, 'accepted');
    await session.settle(c, sink.deliveries[1]!.id, 'accepted');
    expect(sink.bodies(c)).toEqual(['1', '2']);
    session.addCredit(c, 2);
    expect(sink.bodies(c)).toEqual(['1', '2', '3', '4']);
  });

  it('credit 0: nothing is delivered until credit arrives', async () => {
    const { session, sink } = connect(core);
    const c = await session.subscribe(queue('q'), { flow: { kind: 'credit', initial: 0 } });
    await sendAll(session, 'q', ['1']);
    expect(sink.deliveries).toHaveLength(0);
    session.addCredit(c, 1);
    expect(sink.bodies(c)).toEqual(['1']);
  });

  it('drain returns the unused credit and takes it back', async () => {
    const { session, sink } = connect(core);
    await sendAll(session, 'q', ['1']);
    const c = await session.subscribe(queue('q'), { flow: { kind: 'credit', initial: 5 } });
    expect(sink.bodies(c)).toEqual(['1']);
    expect(session.drain(c)).toBe(4);
    await session.send(queue('q'), msg('2'));
    expect(sink.bodies(c)).toEqual(['1']);
    expect(session.drain(c)).toBe(0);
    session.addCredit(c, 1);
    expect(sink.bodies(c)).toEqual(['1', '2']);
  });

  it('unbounded + autoSettle: everything is delivered and consumed at once', async () => {
    const { session, sink } = connect(core);
    await sendAll(session, 'q', ['1', '2', '3']);
    const c = await session.subscribe(queue('q'), { flow: { kind: 'unbounded' }, autoSettle: true });
    await sendAll(session, 'q', ['4', '5']);
    expect(sink.bodies(c)).toEqual(['1', '2', '3', '4', '5']);
    // Already settled: there is nothing left to settle, and nothing goes back on unsubscribe.
    await expectCode(session.settle(c, sink.deliveries[0]!.id, 'accepted'), 'NO_SUCH_DELIVERY');
    await session.unsubscribe(c);
    const other = connect(core);
    const c2 = await other.session.subscribe(queue('q'), { flow: { kind: 'unbounded' } });
    await flush();
    expect(other.sink.of(c2)).toHaveLength(0);
    expect(core.stats().destinations.find((d) => d.name === 'q')).toMatchObject({ depth: 0, inflight: 0, dequeued: 5 });
  });

  it('setWritable(false) stops delivery to the session; true resumes it', async () => {
    const { session, sink } = connect(core);
    const c = await session.subscribe(queue('q'), { flow: { kind: 'unbounded' }, autoSettle: true });
    session.setWritable(false);
    await sendAll(session, 'q', ['1', '2']);
    expect(sink.deliveries).toHaveLength(0);
    session.setWritable(true);
    expect(sink.bodies(c)).toEqual(['1', '2']);
  });

  it('an adapter can stop delivery from inside deliver() when its write buffer fills', async () => {
    class FillsAfterTwo extends RecordingSink {
      override deliver(d: Delivery): void {
        super.deliver(d);
        if (this.deliveries.length % 2 === 0) this.session!.setWritable(false);
      }
    }
    const sink = new FillsAfterTwo();
    const session = core.openSession({ principal: { name: 't', anonymous: false }, protocol: 'test' }, sink);
    sink.session = session;
    await sendAll(session, 'q', ['1', '2', '3', '4', '5']);
    const c = await session.subscribe(queue('q'), { flow: { kind: 'unbounded' }, autoSettle: true });
    expect(sink.bodies(c)).toEqual([]);
    await flush();
    expect(sink.bodies(c)).toEqual(['1', '2']);
    session.setWritable(true);
    expect(sink.bodies(c)).toEqual(['1', '2', '3', '4']);
    session.setWritable(true);
    expect(sink.bodies(c)).toEqual(['1', '2', '3', '4', '5']);
  });

  it('a non-writable session does not hold messages back from other sessions', async () => {
    const slow = connect(core);
    const fast = connect(core);
    const cs = await slow.session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    const cf = await fast.session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    slow.session.setWritable(false);
    await sendAll(fast.session, 'q', ['1', '2', '3']);
    expect(slow.sink.of(cs)).toHaveLength(0);
    expect(fast.sink.bodies(cf)).toEqual(['1', '2', '3']);
  });
});

describe('priority', () => {
  it('delivers 9 before 4 before 0, FIFO within a priority', async () => {
    const { session, sink } = connect(core);
    const sends: Array<[string, number]> = [['a0', 0], ['b4', 4], ['c9', 9], ['d0', 0], ['e4', 4], ['f9', 9]];
    for (const [body, priority] of sends) await session.send(queue('q'), msg(body, { priority }));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 100 } });
    expect(sink.bodies(c)).toEqual(['c9', 'f9', 'b4', 'e4', 'a0', 'd0']);
  });

  it('clamps priorities outside 0–9 and defaults a non-integer to 4', async () => {
    const { session, sink } = connect(core);
    await session.send(queue('q'), msg('low', { priority: -3 }));
    await session.send(queue('q'), msg('mid', { priority: Number.NaN }));
    await session.send(queue('q'), msg('high', { priority: 42 }));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 100 } });
    expect(sink.bodies(c)).toEqual(['high', 'mid', 'low']);
    expect(sink.of(c).map((d) => d.message.priority)).toEqual([9, 4, 0]);
  });

  it('a redelivered message goes back to its place, ahead of newer ones of its priority', async () => {
    const { session, sink } = connect(core);
    await sendAll(session, 'q', ['1', '2', '3']);
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    expect(sink.bodies(c)).toEqual(['1']);
    await session.settle(c, sink.deliveries[0]!.id, 'released');
    expect(sink.bodies(c)).toEqual(['1', '1']);
  });
});

describe('message groups', () => {
  it('sticks a group to one consumer while round-robin would split it', async () => {
    const { session, sink } = connect(core);
    const c1 = await session.subscribe(queue('g'), { flow: { kind: 'window', size: 100 } });
    const c2 = await session.subscribe(queue('g'), { flow: { kind: 'window', size: 100 } });
    for (const [body, groupId] of [['a1', 'A'], ['a2', 'A'], ['a3', 'A'], ['b1', 'B'], ['b2', 'B'], ['b3', 'B']] as const) {
      await session.send(queue('g'), msg(body, { groupId }));
    }
    expect(sink.bodies(c1)).toEqual(['a1', 'a2', 'a3']);
    expect(sink.bodies(c2)).toEqual(['b1', 'b2', 'b3']);
  });

  it('holds a group message while its consumer is full, and moves the group when the consumer leaves', async () => {
    const { session, sink } = connect(core);
    const c1 = await session.subscribe(queue('g'), { flow: { kind: 'window', size: 1 } });
    const c2 = await session.subscribe(queue('g'), { flow: { kind: 'window', size: 10 } });
    await session.send(queue('g'), msg('a1', { groupId: 'A' }));
    await session.send(queue('g'), msg('a2', { groupId: 'A' }));
    await session.send(queue('g'), msg('x'));
    expect(sink.bodies(c1)).toEqual(['a1']);
    // a2 waits for c1; the ungrouped message behind it still flows.
    expect(sink.bodies(c2)).toEqual(['x']);
    await session.unsubscribe(c1);
    // The group (a1 back, unsettled, then a2) moves to c2 in order.
    expect(sink.bodies(c2)).toEqual(['x', 'a1', 'a2']);
    expect(sink.of(c2)[1]!.redelivered).toBe(true);
  });
});

describe('selectors on queue consumers', () => {
  it('gives each consumer only what its selector matches; unmatched messages wait for a matching consumer', async () => {
    const { session, sink } = connect(core);
    const red = await session.subscribe(queue('s'), { flow: { kind: 'window', size: 100 }, selector: "color = 'red'" });
    await session.send(queue('s'), msg('r1', { properties: { color: 'red' } }));
    await session.send(queue('s'), msg('b1', { properties: { color: 'blue' } }));
    await session.send(queue('s'), msg('r2', { properties: { color: 'red' } }));
    // The blue message matches no one and stays; the red one behind it still flows.
    expect(sink.bodies(red)).toEqual(['r1', 'r2']);
    const blue = await session.subscribe(queue('s'), { flow: { kind: 'window', size: 100 }, selector: "color = 'blue'" });
    expect(sink.bodies(blue)).toEqual(['b1']);
    expect(sink.bodies(red)).toEqual(['r1', 'r2']);
  });

  it('selects on headers and numeric properties', async () => {
    const { session, sink } = connect(core);
    const c = await session.subscribe(queue('s'), {
      flow: { kind: 'window', size: 100 }, selector: 'JMSPriority > 5 AND amount >= 100',
    });
    await session.send(queue('s'), msg('no-low-priority', { priority: 4, properties: { amount: 500 } }));
    await session.send(queue('s'), msg('yes', { priority: 7, properties: { amount: 100 } }));
    await session.send(queue('s'), msg('no-small', { priority: 9, properties: { amount: 99 } }));
    expect(sink.bodies(c)).toEqual(['yes']);
  });

  it('rejects a selector that does not parse with INVALID_SELECTOR', async () => {
    const { session } = connect(core);
    await expectCode(session.subscribe(queue('s'), { flow: { kind: 'unbounded' }, selector: 'color = = 1' }), 'INVALID_SELECTOR');
  });
});

describe('addresses', () => {
  it('refuses sends to wildcard queue names, misplaced `>` and empty names with INVALID_ADDRESS', async () => {
    const { session } = connect(core);
    await expectCode(session.send(queue('a.*'), msg('x')), 'INVALID_ADDRESS');
    await expectCode(session.send(queue(''), msg('x')), 'INVALID_ADDRESS');
    await expectCode(session.subscribe(queue('a.>.b'), { flow: { kind: 'unbounded' } }), 'INVALID_ADDRESS');
  });

  it('refuses to work on a closed session with SESSION_CLOSED', async () => {
    const { session } = connect(core);
    await session.close();
    await expectCode(session.send(queue('q'), msg('x')), 'SESSION_CLOSED');
    await expectCode(session.subscribe(queue('q'), { flow: { kind: 'unbounded' } }), 'SESSION_CLOSED');
  });
});
