import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerCore, CoreConfig } from '../../src/core/index.js';
import type { SubscribeOptions } from '../../src/spi/core.js';
import { DLQ, connect, flush, msg, queue, startCore, topic } from './core-fixture.js';

const cores: BrokerCore[] = [];
async function boot(overrides: Partial<CoreConfig> = {}): Promise<BrokerCore> {
  const core = await startCore(overrides);
  cores.push(core);
  return core;
}
afterEach(async () => {
  for (const c of cores.splice(0)) await c.stop();
});

const WINDOW: SubscribeOptions = { flow: { kind: 'window', size: 10 } };
const HOUR = 3_600_000;

describe('expiry', () => {
  it('an expired message is not delivered; a persistent one goes to the DLQ without an expiry', async () => {
    const core = await boot();
    const { session, sink } = connect(core);
    const dlq = await session.subscribe(queue(DLQ), WINDOW);
    const c = await session.subscribe(queue('q'), WINDOW);
    await session.send(queue('q'), msg('stale', { expiration: Date.now() - 1000 }));
    await session.send(queue('q'), msg('fresh', { expiration: Date.now() + HOUR }));
    await session.send(queue('q'), msg('forever', { expiration: 0 }));
    await flush();
    expect(sink.bodies(c)).toEqual(['fresh', 'forever']);
    expect(sink.bodies(dlq)).toEqual(['stale']);
    const dead = sink.last(dlq).message;
    expect(dead.expiration).toBe(0);
    expect(dead.originalDestination).toEqual(queue('q'));
    expect(dead.properties.dlqDeliveryFailureCause).toMatch(/expir/i);
  });

  it('a non-persistent expired message is dropped', async () => {
    const core = await boot();
    const { session, sink } = connect(core);
    const dlq = await session.subscribe(queue(DLQ), WINDOW);
    const c = await session.subscribe(queue('q'), WINDOW);
    await session.send(queue('q'), msg('stale', { expiration: Date.now() - 1000, persistent: false }));
    await flush();
    expect(sink.of(c)).toHaveLength(0);
    expect(sink.of(dlq)).toHaveLength(0);
    expect(core.stats().memoryBytes).toBe(0);
  });

  it('a message that expires while waiting is not delivered when a consumer comes', async () => {
    const core = await boot();
    const { session, sink } = connect(core);
    const dlq = await session.subscribe(queue(DLQ), WINDOW);
    await session.send(queue('q'), msg('short-lived', { expiration: Date.now() + 30 }));
    await session.send(queue('q'), msg('long-lived', { expiration: Date.now() + HOUR }));
    await new Promise((r) => setTimeout(r, 60));
    const c = await session.subscribe(queue('q'), WINDOW);
    await flush();
    expect(sink.bodies(c)).toEqual(['long-lived']);
    expect(sink.bodies(dlq)).toEqual(['short-lived']);
  });

  it('expired topic copies in a durable subscription go to the DLQ too', async () => {
    const core = await boot();
    const sub = connect(core, { clientId: 'app' });
    const c = await sub.session.subscribe(topic('t'), { ...WINDOW, durableName: 'd' });
    await sub.session.unsubscribe(c);
    await sub.session.send(topic('t'), msg('old', { expiration: Date.now() + HOUR }));
    core.sweepExpired(Date.now() + 2 * HOUR);
    await flush();
    const dlq = await sub.session.subscribe(queue(DLQ), WINDOW);
    expect(sub.sink.bodies(dlq)).toEqual(['old']);
    expect(sub.sink.last(dlq).message.originalDestination).toEqual(topic('t'));
    const back = await sub.session.subscribe(topic('t'), { ...WINDOW, durableName: 'd' });
    await flush();
    expect(sub.sink.of(back)).toHaveLength(0);
  });

  it('sweepExpired() moves expired pending messages out of queues that have no consumer', async () => {
    const core = await boot();
    const producer = connect(core);
    const watcher = connect(core);
    const dlq = await watcher.session.subscribe(queue(DLQ), WINDOW);
    await producer.session.send(queue('q'), msg('p', { expiration: Date.now() + HOUR }));
    await producer.session.send(queue('q'), msg('np', { expiration: Date.now() + HOUR, persistent: false }));
    await producer.session.send(queue('q'), msg('keep', { expiration: Date.now() + 10 * HOUR }));
    core.sweepExpired();
    await flush();
    expect(watcher.sink.of(dlq)).toHaveLength(0);
    // An hour and a bit later:
    core.sweepExpired(Date.now() + HOUR + 1000);
    await flush();
    expect(watcher.sink.bodies(dlq)).toEqual(['p']);
    expect(core.stats().destinations.find((d) => d.name === 'q')).toMatchObject({ depth: 1 });
    const c = await producer.session.subscribe(queue('q'), WINDOW);
    expect(producer.sink.bodies(c)).toEqual(['keep']);
  });

  it('the sweep leaves delivered (inflight) messages alone', async () => {
    const core = await boot();
    const { session, sink } = connect(core);
    const c = await session.subscribe(queue('q'), WINDOW);
    await session.send(queue('q'), msg('m', { expiration: Date.now() + HOUR }));
    core.sweepExpired(Date.now() + 2 * HOUR);
    await flush();
    await session.settle(c, sink.last(c).id, 'accepted');
    expect(core.stats().destinations.find((d) => d.name === 'q')).toMatchObject({ depth: 0, inflight: 0, dequeued: 1 });
  });

  it('the periodic sweep runs when expirySweepMs is set', async () => {
    const core = await boot({ expirySweepMs: 10 });
    const { session, sink } = connect(core);
    const dlq = await session.subscribe(queue(DLQ), WINDOW);
    await session.send(queue('q'), msg('m', { expiration: Date.now() + 20 }));
    await sink.waitForDeliveries(1, dlq);
    expect(sink.bodies(dlq)).toEqual(['m']);
  });
});
