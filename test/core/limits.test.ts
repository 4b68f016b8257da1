import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerCore, CoreConfig } from '../../src/core/index.js';
import { connect, expectCode, flush, isSettled, msg, queue, startCore, topic } from './core-fixture.js';

const cores: BrokerCore[] = [];
async function boot(overrides: Partial<CoreConfig> = {}): Promise<BrokerCore> {
  const core = await startCore(overrides);
  cores.push(core);
  return core;
}
afterEach(async () => {
  for (const c of cores.splice(0)) await c.stop();
});

const body = (tag: string, bytes: number): string => tag.padEnd(bytes, '.');

describe('message size', () => {
  it('MESSAGE_TOO_LARGE above maxMessageBytes; exactly the maximum is fine', async () => {
    const core = await boot({ maxMessageBytes: 10 });
    const { session, sink } = connect(core);
    const c = await session.subscribe(queue('q'), { flow: { kind: 'unbounded' }, autoSettle: true });
    await expectCode(session.send(queue('q'), msg('x'.repeat(11))), 'MESSAGE_TOO_LARGE');
    await expectCode(session.send(topic('t'), msg('x'.repeat(11), { persistent: false })), 'MESSAGE_TOO_LARGE');
    await session.send(queue('q'), msg('y'.repeat(10)));
    expect(sink.bodies(c)).toEqual(['y'.repeat(10)]);
  });
});

describe('memory limit (producer flow control)', () => {
  it('send() stays pending while memory is over the limit, and resolves once consumers free it', async () => {
    const core = await boot({ memoryLimitBytes: 1000 });
    const producer = connect(core);
    await producer.session.send(queue('q'), msg(body('1', 400), { persistent: false }));
    await producer.session.send(queue('q'), msg(body('2', 400), { persistent: false }));
    await producer.session.send(queue('q'), msg(body('3', 400)));
    // 1200 bytes held: the next sends wait, whatever their destination or persistence.
    const p4 = producer.session.send(queue('q'), msg(body('4', 400), { persistent: false }));
    const p5 = producer.session.send(topic('t'), msg(body('5', 400)));
    expect(await isSettled(p4)).toBe(false);
    expect(await isSettled(p5)).toBe(false);

    const consumer = connect(core);
    const c = await consumer.session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    // Delivered but unsettled messages still hold memory.
    expect(consumer.sink.of(c)).toHaveLength(1);
    expect(await isSettled(p4)).toBe(false);
    // Settling one brings memory to 800, under 90% of the limit: the producers go on.
    await consumer.session.settle(c, consumer.sink.last(c).id, 'accepted');
    await p4;
    await p5;
    for (let i = 0; i < 3; i++) await consumer.session.settle(c, consumer.sink.last(c).id, 'accepted');
    expect(consumer.sink.bodies(c).map((b) => b[0])).toEqual(['1', '2', '3', '4']);
    expect(core.stats().memoryBytes).toBe(0);
  });

  it('stays blocked until memory falls under 90% of the limit, not just under it', async () => {
    const core = await boot({ memoryLimitBytes: 1000 });
    const producer = connect(core);
    for (let i = 0; i < 10; i++) await producer.session.send(queue('q'), msg(body(String(i), 100), { persistent: false }));
    const blocked = producer.session.send(queue('q'), msg(body('x', 100), { persistent: false }));
    const consumer = connect(core);
    const c = await consumer.session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    await consumer.session.settle(c, consumer.sink.of(c)[0]!.id, 'accepted');
    // 900 bytes held: under the limit but not under 90% of it.
    expect(await isSettled(blocked)).toBe(false);
    await consumer.session.settle(c, consumer.sink.of(c)[1]!.id, 'accepted');
    await blocked;
  });

  it('messages dropped without a consumer (expired, dead-lettered) free memory too', async () => {
    const core = await boot({ memoryLimitBytes: 1000 });
    const producer = connect(core);
    await producer.session.send(queue('q'), msg(body('a', 1000), { persistent: false, expiration: Date.now() + 3_600_000 }));
    const blocked = producer.session.send(queue('q'), msg(body('b', 10), { persistent: false }));
    expect(await isSettled(blocked)).toBe(false);
    core.sweepExpired(Date.now() + 7_200_000);
    await blocked;
  });

  it('stop() releases producers that are waiting', async () => {
    const core = await boot({ memoryLimitBytes: 100 });
    const producer = connect(core);
    await producer.session.send(queue('q'), msg(body('a', 100), { persistent: false }));
    const blocked = producer.session.send(queue('q'), msg(body('b', 10), { persistent: false }));
    expect(await isSettled(blocked)).toBe(false);
    await core.stop();
    await flush();
    expect(await isSettled(blocked)).toBe(true);
  });
});
