import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BrokerCore } from '../../src/core/index.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { DLQ, connect, flush, msg, queue, startCore, topic } from './core-fixture.js';
import { bodyText } from './recording-sink.js';

let store: MemoryStore;
const cores: BrokerCore[] = [];
/** A new core on the same store: what survives is what the store recovered. */
async function boot(): Promise<BrokerCore> {
  const core = await startCore({}, store);
  cores.push(core);
  return core;
}
beforeEach(() => {
  store = new MemoryStore();
  cores.length = 0;
});
afterEach(async () => {
  for (const c of cores) await c.stop();
});

describe('recovery on the memory store', () => {
  it('persistent queue messages survive a restart in order with their fields; acked and non-persistent ones do not', async () => {
    const core = await boot();
    const { session, sink } = connect(core);
    await session.send(queue('q'), msg('p1', {
      properties: { s: 'x', n: 1.5, b: true, big: 12345678901234567890n, nil: null, bytes: Uint8Array.from([1, 2]) },
      propertyTypes: { n: 'double' }, correlationId: 'c-1', replyTo: queue('replies'), type: 'T', contentType: 'text/plain',
      groupId: 'g', groupSeq: 3, userId: 'u', priority: 7, expiration: Date.now() + 3_600_000, messageId: 'ID:p1',
    }));
    await session.send(queue('q'), msg('acked'));
    await session.send(queue('q'), msg('np', { persistent: false }));
    await session.send(queue('q'), msg('p2', { priority: 7 }));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    const original = sink.of(c)[0]!.message;
    await session.settle(c, sink.of(c).find((d) => bodyText(d) === 'acked')!.id, 'accepted');
    expect(sink.bodies(c)).toEqual(['p1', 'p2', 'acked', 'np']);

    const next = await boot();
    const again = connect(next);
    const c2 = await again.session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    expect(again.sink.bodies(c2)).toEqual(['p1', 'p2']);
    const recovered = again.sink.of(c2)[0]!.message;
    expect({ ...recovered, body: Uint8Array.from(recovered.body) }).toEqual({ ...original, body: Uint8Array.from(original.body) });
    // New messages queue up behind the recovered ones and get fresh ids.
    await again.session.send(queue('q'), msg('p3', { priority: 7 }));
    expect(again.sink.bodies(c2)).toEqual(['p1', 'p2', 'p3']);
    const ids = again.sink.of(c2).map((d) => d.message.messageId);
    expect(new Set(ids).size).toBe(3);
  });

  it('delivery counts survive a restart', async () => {
    const core = await boot();
    const { session, sink } = connect(core);
    await session.send(queue('q'), msg('m'));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    await session.settle(c, sink.last(c).id, 'modified');
    await session.settle(c, sink.last(c).id, 'modified');
    expect(sink.last(c).deliveryCount).toBe(3);
    await flush();

    const next = await boot();
    const again = connect(next);
    const c2 = await again.session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    expect(again.sink.last(c2)).toMatchObject({ deliveryCount: 3, redelivered: true });
    // The count goes on towards the maximum from there: 4 more failures reach the 7th.
    for (let i = 0; i < 4; i++) await again.session.settle(c2, again.sink.last(c2).id, 'modified');
    expect(again.sink.last(c2).deliveryCount).toBe(7);
    await again.session.settle(c2, again.sink.last(c2).id, 'modified');
    await flush();
    const dlq = await again.session.subscribe(queue(DLQ), { flow: { kind: 'window', size: 1 } });
    expect(again.sink.bodies(dlq)).toEqual(['m']);
  });

  it('the DLQ, its contents and originalDestination survive a restart', async () => {
    const core = await boot();
    const { session, sink } = connect(core);
    await session.send(queue('orders'), msg('bad'));
    const c = await session.subscribe(queue('orders'), { flow: { kind: 'window', size: 1 } });
    await session.settle(c, sink.last(c).id, 'rejected');
    await flush();

    const next = await boot();
    expect(next.stats().destinations.find((d) => d.name === DLQ)).toMatchObject({ depth: 1 });
    const again = connect(next);
    const dlq = await again.session.subscribe(queue(DLQ), { flow: { kind: 'window', size: 1 } });
    const dead = again.sink.last(dlq).message;
    expect(Buffer.from(dead.body).toString()).toBe('bad');
    expect(dead.originalDestination).toEqual(queue('orders'));
    expect(dead.properties.dlqDeliveryFailureCause).toMatch(/reject/i);
    // And it left the original queue for good.
    const orders = await again.session.subscribe(queue('orders'), { flow: { kind: 'window', size: 1 } });
    await flush();
    expect(again.sink.of(orders)).toHaveLength(0);
  });

  it('destinations survive a restart, even empty ones', async () => {
    const core = await boot();
    const { session } = connect(core);
    await session.send(queue('empty.queue'), msg('x', { persistent: false }));
    await session.send(topic('some.topic'), msg('y'));
    await flush();
    const next = await boot();
    const names = next.stats().destinations.map((d) => `${d.routing}:${d.name}`);
    expect(names).toContain('anycast:empty.queue');
    expect(names).toContain('multicast:some.topic');
    expect(next.stats().destinations.find((d) => d.name === 'empty.queue')).toMatchObject({ depth: 0 });
  });

  it('unsettled messages of a crashed core come back; those settled before the crash do not', async () => {
    const core = await boot();
    const { session, sink } = connect(core);
    for (const b of ['1', '2', '3']) await session.send(queue('q'), msg(b));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    await session.settle(c, sink.of(c)[1]!.id, 'accepted');
    // No close: the process "dies" with 1 and 3 in flight.
    const next = await boot();
    const again = connect(next);
    const c2 = await again.session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    expect(again.sink.bodies(c2)).toEqual(['1', '3']);
  });

  it('a persistent topic message stored for two durable subscriptions is recovered for each, and kept until both settle', async () => {
    const core = await boot();
    const a = connect(core, { clientId: 'a' });
    const b = connect(core, { clientId: 'b' });
    const ca = await a.session.subscribe(topic('t'), { flow: { kind: 'window', size: 10 }, durableName: 's' });
    const cb = await b.session.subscribe(topic('t'), { flow: { kind: 'window', size: 10 }, durableName: 's' });
    await a.session.send(topic('t'), msg('shared'));
    await a.session.settle(ca, a.sink.last(ca).id, 'accepted');
    expect(b.sink.bodies(cb)).toEqual(['shared']);

    const next = await boot();
    const a2 = connect(next, { clientId: 'a' });
    const b2 = connect(next, { clientId: 'b' });
    const ca2 = await a2.session.subscribe(topic('t'), { flow: { kind: 'window', size: 10 }, durableName: 's' });
    const cb2 = await b2.session.subscribe(topic('t'), { flow: { kind: 'window', size: 10 }, durableName: 's' });
    await flush();
    expect(a2.sink.of(ca2)).toHaveLength(0);
    expect(b2.sink.bodies(cb2)).toEqual(['shared']);
    await b2.session.settle(cb2, b2.sink.last(cb2).id, 'accepted');

    const third = await boot();
    const b3 = connect(third, { clientId: 'b' });
    const cb3 = await b3.session.subscribe(topic('t'), { flow: { kind: 'window', size: 10 }, durableName: 's' });
    await flush();
    expect(b3.sink.of(cb3)).toHaveLength(0);
  });
});
