import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BrokerCore, CoreConfig } from '../../src/core/index.js';
import type { ConsumerId, CoreSession } from '../../src/spi/core.js';
import { DLQ, connect, expectCode, flush, msg, queue, startCore, type Client } from './core-fixture.js';
import type { RecordingSink } from './recording-sink.js';

let core: BrokerCore;
async function useCore(overrides: Partial<CoreConfig> = {}): Promise<void> {
  core = await startCore(overrides);
}
beforeEach(async () => { await useCore(); });
afterEach(async () => { await core.stop(); });

/** A consumer of the dead-letter queue, on its own session. */
async function dlqConsumer(): Promise<{ client: Client; id: ConsumerId }> {
  const client = connect(core);
  const id = await client.session.subscribe(queue(DLQ), { flow: { kind: 'window', size: 100 } });
  return { client, id };
}

/** Settles the latest delivery to `c` with `modified` until the sink has seen `attempts` deliveries. */
async function failRepeatedly(session: CoreSession, sink: RecordingSink, c: ConsumerId, attempts: number): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    expect(sink.of(c)).toHaveLength(i + 1);
    await session.settle(c, sink.last(c).id, 'modified');
  }
}

describe('settlement', () => {
  it('accepted removes a message for good', async () => {
    const { session, sink } = connect(core);
    await session.send(queue('q'), msg('1'));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    await session.settle(c, sink.last(c).id, 'accepted');
    await session.unsubscribe(c);
    const again = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    await flush();
    expect(sink.of(again)).toHaveLength(0);
  });

  it('settles individually, leaving earlier deliveries unsettled', async () => {
    const { session, sink } = connect(core);
    for (const b of ['1', '2', '3']) await session.send(queue('q'), msg(b));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    const [d1, d2, d3] = sink.of(c);
    await session.settle(c, d2!.id, 'accepted');
    // d1 and d3 are still unsettled; d2 is gone.
    await expectCode(session.settle(c, d2!.id, 'accepted'), 'NO_SUCH_DELIVERY');
    await session.unsubscribe(c);
    const again = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    expect(sink.bodies(again)).toEqual(['1', '3']);
    expect(d1!.id).toBeLessThan(d3!.id);
  });

  it('settles cumulatively: this delivery and every earlier one of the consumer, not later ones', async () => {
    const { session, sink } = connect(core);
    for (const b of ['1', '2', '3', '4']) await session.send(queue('q'), msg(b));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    const [d1, d2, d3] = sink.of(c);
    await session.settle(c, d3!.id, 'accepted', { cumulative: true });
    await expectCode(session.settle(c, d1!.id, 'accepted'), 'NO_SUCH_DELIVERY');
    await expectCode(session.settle(c, d2!.id, 'accepted'), 'NO_SUCH_DELIVERY');
    await session.unsubscribe(c);
    const again = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    expect(sink.bodies(again)).toEqual(['4']);
  });

  it('cumulative settlement spans redeliveries in delivery order', async () => {
    const { session, sink } = connect(core);
    for (const b of ['1', '2']) await session.send(queue('q'), msg(b));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    await session.settle(c, sink.of(c)[0]!.id, 'released');
    // Now '1' is redelivered with a newer delivery id than '2'.
    expect(sink.bodies(c)).toEqual(['1', '2', '1']);
    await session.settle(c, sink.last(c).id, 'accepted', { cumulative: true });
    await expectCode(session.settle(c, sink.of(c)[1]!.id, 'accepted'), 'NO_SUCH_DELIVERY');
    expect(core.stats().destinations.find((d) => d.name === 'q')).toMatchObject({ depth: 0, inflight: 0 });
  });

  it('NO_SUCH_DELIVERY for unknown ids and NO_SUCH_CONSUMER for unknown consumers', async () => {
    const { session } = connect(core);
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    await expectCode(session.settle(c, 999, 'accepted'), 'NO_SUCH_DELIVERY');
    await expectCode(session.settle(c + 100, 1, 'accepted'), 'NO_SUCH_CONSUMER');
  });

  it('released: back to the queue, redelivered=true, deliveryCount unchanged, never dead-lettered', async () => {
    const { session, sink } = connect(core);
    const dlq = await dlqConsumer();
    await session.send(queue('q'), msg('1'));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    expect(sink.last(c)).toMatchObject({ deliveryCount: 1, redelivered: false });
    for (let i = 0; i < 10; i++) await session.settle(c, sink.last(c).id, 'released');
    expect(sink.of(c)).toHaveLength(11);
    expect(sink.last(c)).toMatchObject({ deliveryCount: 1, redelivered: true });
    expect(dlq.client.sink.deliveries).toHaveLength(0);
  });

  it('modified: back to the queue with deliveryCount + 1', async () => {
    const { session, sink } = connect(core);
    await session.send(queue('q'), msg('1'));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    await session.settle(c, sink.last(c).id, 'modified');
    expect(sink.last(c)).toMatchObject({ deliveryCount: 2, redelivered: true });
    await session.settle(c, sink.last(c).id, 'modified');
    expect(sink.last(c)).toMatchObject({ deliveryCount: 3, redelivered: true });
  });
});

describe('dead-lettering', () => {
  it('a persistent message goes to ActiveMQ.DLQ on the 7th failed attempt, not before', async () => {
    const { session, sink } = connect(core);
    const dlq = await dlqConsumer();
    await session.send(queue('orders'), msg('poison', { properties: { k: 'v' }, correlationId: 'corr-1' }));
    const c = await session.subscribe(queue('orders'), { flow: { kind: 'window', size: 1 } });
    // Attempts 1..6 fail and are redelivered; the 7th attempt is delivered too.
    await failRepeatedly(session, sink, c, 6);
    expect(sink.of(c)).toHaveLength(7);
    expect(sink.last(c).deliveryCount).toBe(7);
    expect(dlq.client.sink.deliveries).toHaveLength(0);
    // Its failure is one too many.
    await session.settle(c, sink.last(c).id, 'modified');
    await flush();
    expect(sink.of(c)).toHaveLength(7);
    const dead = dlq.client.sink.of(dlq.id);
    expect(dead).toHaveLength(1);
    const m = dead[0]!.message;
    expect(Buffer.from(m.body).toString()).toBe('poison');
    expect(m.address).toEqual(queue(DLQ));
    expect(m.originalDestination).toEqual(queue('orders'));
    expect(m.messageId).toBe(sink.last(c).message.messageId);
    expect(m.correlationId).toBe('corr-1');
    expect(m.properties.k).toBe('v');
    expect(typeof m.properties.dlqDeliveryFailureCause).toBe('string');
    expect(m.properties.dlqDeliveryFailureCause).toMatch(/redeliver/i);
    expect(dead[0]!.deliveryCount).toBe(1);
  });

  it('honours a configured maxRedeliveries', async () => {
    await core.stop();
    await useCore({ maxRedeliveries: 1 });
    const { session, sink } = connect(core);
    const dlq = await dlqConsumer();
    await session.send(queue('q'), msg('x'));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    await failRepeatedly(session, sink, c, 2);
    await flush();
    expect(sink.of(c)).toHaveLength(2);
    expect(dlq.client.sink.deliveries).toHaveLength(1);
  });

  it('a non-persistent message past the maximum is dropped, as ActiveMQ does by default', async () => {
    const { session, sink } = connect(core);
    const dlq = await dlqConsumer();
    await session.send(queue('q'), msg('np', { persistent: false }));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    await failRepeatedly(session, sink, c, 7);
    await flush();
    expect(sink.of(c)).toHaveLength(7);
    expect(dlq.client.sink.deliveries).toHaveLength(0);
    expect(core.stats().destinations.find((d) => d.name === 'q')).toMatchObject({ depth: 0, inflight: 0 });
    expect(core.stats().memoryBytes).toBe(0);
  });

  it('deadLetterNonPersistent keeps non-persistent messages in the DLQ too', async () => {
    await core.stop();
    await useCore({ deadLetterNonPersistent: true });
    const { session, sink } = connect(core);
    const dlq = await dlqConsumer();
    await session.send(queue('q'), msg('np', { persistent: false }));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    await failRepeatedly(session, sink, c, 7);
    await flush();
    expect(dlq.client.sink.bodies(dlq.id)).toEqual(['np']);
    expect(dlq.client.sink.last(dlq.id).message.persistent).toBe(false);
  });

  it('rejected goes to the DLQ at once', async () => {
    const { session, sink } = connect(core);
    const dlq = await dlqConsumer();
    await session.send(queue('q'), msg('bad'));
    await session.send(queue('q'), msg('good'));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    await session.settle(c, sink.last(c).id, 'rejected');
    await flush();
    expect(sink.bodies(c)).toEqual(['bad', 'good']);
    expect(dlq.client.sink.bodies(dlq.id)).toEqual(['bad']);
    const m = dlq.client.sink.last(dlq.id).message;
    expect(m.originalDestination).toEqual(queue('q'));
    expect(m.properties.dlqDeliveryFailureCause).toMatch(/reject/i);
  });

  it('a failure in the DLQ itself drops the message instead of looping', async () => {
    const { session, sink } = connect(core);
    await session.send(queue('q'), msg('bad'));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    await session.settle(c, sink.last(c).id, 'rejected');
    const dlq = await dlqConsumer();
    expect(dlq.client.sink.of(dlq.id)).toHaveLength(1);
    await dlq.client.session.settle(dlq.id, dlq.client.sink.last(dlq.id).id, 'rejected');
    await flush();
    expect(dlq.client.sink.of(dlq.id)).toHaveLength(1);
    expect(core.stats().destinations.find((d) => d.name === DLQ)).toMatchObject({ depth: 0, inflight: 0 });
  });
});

describe('unsettled deliveries of a leaving consumer', () => {
  it('return to the queue on unsubscribe: redelivered, count + 1, in their old order', async () => {
    const a = connect(core);
    const b = connect(core);
    for (const x of ['1', '2', '3']) await a.session.send(queue('q'), msg(x));
    const ca = await a.session.subscribe(queue('q'), { flow: { kind: 'window', size: 2 } });
    expect(a.sink.bodies(ca)).toEqual(['1', '2']);
    const cb = await b.session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    expect(b.sink.bodies(cb)).toEqual(['3']);
    await a.session.unsubscribe(ca);
    expect(b.sink.bodies(cb)).toEqual(['3', '1', '2']);
    expect(b.sink.of(cb).slice(1).map((d) => [d.deliveryCount, d.redelivered])).toEqual([[2, true], [2, true]]);
    // The closed consumer is gone.
    await expectCode(a.session.settle(ca, a.sink.last(ca).id, 'accepted'), 'NO_SUCH_CONSUMER');
  });

  it('return when the session closes, and are never dead-lettered for it', async () => {
    const dlq = await dlqConsumer();
    const producer = connect(core);
    await producer.session.send(queue('q'), msg('m'));
    // Far more closes than maxRedeliveries.
    for (let i = 0; i < 9; i++) {
      const flaky = connect(core);
      const c = await flaky.session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
      expect(flaky.sink.last(c).deliveryCount).toBe(i + 1);
      await flaky.session.close();
    }
    const last = connect(core);
    const c = await last.session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    expect(last.sink.last(c)).toMatchObject({ deliveryCount: 10, redelivered: true });
    expect(dlq.client.sink.deliveries).toHaveLength(0);
  });

  it('a closed session gets no more deliveries', async () => {
    const a = connect(core);
    const c = await a.session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    await a.session.close();
    const p = connect(core);
    await p.session.send(queue('q'), msg('after'));
    expect(a.sink.of(c)).toHaveLength(0);
    const b = connect(core);
    const cb = await b.session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    expect(b.sink.bodies(cb)).toEqual(['after']);
  });
});

describe('adapters that settle on their own', () => {
  it('settling each delivery a moment later drains the queue through a window of 1', async () => {
    const { session, sink } = connect(core, {}, { autoSettle: 'accepted' });
    for (const x of ['1', '2', '3', '4', '5']) await session.send(queue('q'), msg(x));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    await sink.waitForDeliveries(5, c);
    await flush();
    expect(sink.bodies(c)).toEqual(['1', '2', '3', '4', '5']);
    expect(core.stats().destinations.find((d) => d.name === 'q')).toMatchObject({ depth: 0, inflight: 0, dequeued: 5 });
  });

  it('an adapter that always rejects sends everything to the DLQ once', async () => {
    const { session, sink } = connect(core, {}, { autoSettle: 'rejected' });
    const dlq = await dlqConsumer();
    for (const x of ['1', '2', '3']) await session.send(queue('q'), msg(x));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    await dlq.client.sink.waitForDeliveries(3, dlq.id);
    expect(sink.bodies(c)).toEqual(['1', '2', '3']);
    expect(dlq.client.sink.bodies(dlq.id)).toEqual(['1', '2', '3']);
  });
});

describe('synchronous settlement inside deliver()', () => {
  it('an adapter that settles while the core is delivering sees every message once', async () => {
    const { session, sink } = connect(core, {}, { autoSettle: 'accepted', syncSettle: true });
    for (const x of ['1', '2', '3', '4', '5']) await session.send(queue('q'), msg(x));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    await flush();
    expect(sink.bodies(c)).toEqual(['1', '2', '3', '4', '5']);
    expect(core.stats().destinations.find((d) => d.name === 'q')).toMatchObject({ depth: 0, inflight: 0, dequeued: 5 });
  });
});
