import { describe, expect, it } from 'vitest';
import type { ConsumerId, CoreSession } from '../../src/spi/core.js';
import { coresPerTest, connect, flush, msg, queue } from './core-fixture.js';
import type { RecordingSink } from './recording-sink.js';

const cores = coresPerTest();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fails the one message of `c` until it is gone; returns how many deliveries it took. */
async function failUntilGone(session: CoreSession, sink: RecordingSink, c: ConsumerId): Promise<number> {
  let attempts = 0;
  for (; attempts < 20; attempts++) {
    await flush();
    const d = sink.of(c)[attempts];
    if (!d) break;
    await session.settle(c, d.id, 'modified');
  }
  return attempts;
}

describe('destination policies (core.policies)', () => {
  const policies = [
    { match: 'orders.>', maxRedeliveries: 1, deadLetterQueue: 'DLQ.{name}' },
    { match: 'orders.slow', maxRedeliveries: 9 }, // shadowed: the first match wins
    { match: 'delayed', deliveryDelayMs: 200 },
  ];

  it('apply their own redelivery limit and dead-letter queue to matching queues', async () => {
    const { session, sink } = connect(await cores.start({ policies }));
    const c = await session.subscribe(queue('orders.eu'), { flow: { kind: 'window', size: 1 } });
    await session.send(queue('orders.eu'), msg('poison'));
    expect(await failUntilGone(session, sink, c)).toBe(2); // first delivery + 1 redelivery
    const dlq = await session.subscribe(queue('DLQ.orders.eu'), { flow: { kind: 'window', size: 10 } });
    await flush();
    expect(sink.of(dlq).map((d) => d.message.originalDestination?.name)).toEqual(['orders.eu']);
  });

  it('leave other queues on the broker-wide defaults, and do not dead-letter a dead-letter queue again', async () => {
    const { session, sink } = connect(await cores.start({ policies, maxRedeliveries: 2 }));
    const c = await session.subscribe(queue('other'), { flow: { kind: 'window', size: 1 } });
    await session.send(queue('other'), msg('poison'));
    expect(await failUntilGone(session, sink, c)).toBe(3);
    await session.send(queue('DLQ.orders.x'), msg('already dead'));
    const d = await session.subscribe(queue('DLQ.orders.x'), { flow: { kind: 'window', size: 1 } });
    expect(await failUntilGone(session, sink, d)).toBe(3); // the DLQ's own limit (the default here)...
    const dlqOfDlq = await session.subscribe(queue('DLQ.DLQ.orders.x'), { flow: { kind: 'window', size: 10 } });
    await flush();
    expect(sink.of(dlqOfDlq)).toHaveLength(0); // ...and then dropped, as ActiveMQ drops a DLQ's dead letters
  });

  it('delete messages past the retention of their destination, undelivered and not dead-lettered', async () => {
    const c = await cores.start({ policies: [{ match: 'short.>', retentionMs: 100 }] });
    const { session, sink } = connect(c);
    await session.send(queue('short.lived'), msg('old'));
    await session.send(queue('short.lived'), msg('older still', { timestamp: Date.now() - 1000 }));
    await session.send(queue('kept'), msg('old', { timestamp: Date.now() - 1000 }));
    await sleep(150);
    await session.send(queue('short.lived'), msg('fresh'));
    const consumer = await session.subscribe(queue('short.lived'), { flow: { kind: 'window', size: 10 } });
    const kept = await session.subscribe(queue('kept'), { flow: { kind: 'window', size: 10 } });
    await flush();
    expect(sink.of(consumer).map((d) => Buffer.from(d.message.body).toString())).toEqual(['fresh']);
    expect(sink.of(kept)).toHaveLength(1);
    const dlq = await session.subscribe(queue('ActiveMQ.DLQ'), { flow: { kind: 'window', size: 10 } });
    await flush();
    expect(sink.of(dlq)).toHaveLength(0);
    // The sweep deletes them without a consumer too.
    await session.send(queue('short.idle'), msg('x', { timestamp: Date.now() - 1000 }));
    c.sweepExpired();
    expect(c.stats().destinations.find((d) => d.name === 'short.idle')?.depth).toBe(0);
  });

  it('delay every message of a destination unless it asks for its own delay', async () => {
    const { session, sink } = connect(await cores.start({ policies, scheduledDelivery: true }));
    const c = await session.subscribe(queue('delayed'), { flow: { kind: 'window', size: 10 } });
    await session.send(queue('delayed'), msg('waits'));
    await session.send(queue('delayed'), msg('own delay', { properties: { AMQ_SCHEDULED_DELAY: 1 } }));
    await session.send(queue('not.delayed'), msg('x'));
    await sleep(50);
    expect(sink.of(c).map((d) => Buffer.from(d.message.body).toString())).toEqual(['own delay']);
    await sleep(250);
    expect(sink.of(c).map((d) => Buffer.from(d.message.body).toString())).toEqual(['own delay', 'waits']);
  });
});
