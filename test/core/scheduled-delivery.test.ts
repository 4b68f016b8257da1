import { describe, expect, it } from 'vitest';
import type { BrokerCore } from '../../src/core/index.js';
import { coresPerTest, connect, flush, msg, queue, topic } from './core-fixture.js';

const cores = coresPerTest({ scheduledDelivery: true });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (b: Uint8Array): string => Buffer.from(b).toString();
const depthOf = (c: BrokerCore, name: string): number | undefined => c.stats().destinations.find((d) => d.name === name)?.depth;

describe('scheduled delivery (AMQ_SCHEDULED_DELAY)', () => {
  it('holds a message back for its delay, counted in the depth, not browsable, then delivers it', async () => {
    const c = await cores.start();
    const { session, sink } = connect(c);
    const consumer = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    const sent = Date.now();
    await session.send(queue('q'), msg('later', { properties: { AMQ_SCHEDULED_DELAY: 300 } }));
    await session.send(queue('q'), msg('now'));
    await flush();
    expect(sink.of(consumer).map((d) => text(d.message.body))).toEqual(['now']);
    await session.settle(consumer, sink.last(consumer).id, 'accepted');
    expect(depthOf(c, 'q')).toBe(1);
    expect(await session.browse(queue('q'))).toEqual([]);
    for (let waited = 0; sink.of(consumer).length < 2 && waited < 5000; waited += 20) await sleep(20);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(290);
    expect(text(sink.last(consumer).message.body)).toBe('later');
    expect(sink.last(consumer).message.deliveryTime).toBeGreaterThanOrEqual(sent + 300);
  });

  it('reads the delay from a long or a numeric string, ignores anything else, and can be turned off', async () => {
    const c = await cores.start();
    const { session, sink } = connect(c);
    const consumer = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    await session.send(queue('q'), msg('long', { properties: { AMQ_SCHEDULED_DELAY: 60_000n } }));
    await session.send(queue('q'), msg('string', { properties: { AMQ_SCHEDULED_DELAY: '60000' } }));
    await session.send(queue('q'), msg('junk', { properties: { AMQ_SCHEDULED_DELAY: 'soon' } }));
    await session.send(queue('q'), msg('negative', { properties: { AMQ_SCHEDULED_DELAY: -5 } }));
    await flush();
    expect(sink.of(consumer).map((d) => text(d.message.body))).toEqual(['junk', 'negative']);
    await c.stop();
    const off = await cores.start({ scheduledDelivery: false });
    const other = connect(off);
    const c2 = await other.session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    await other.session.send(queue('q'), msg('immediate', { properties: { AMQ_SCHEDULED_DELAY: 60_000 } }));
    await flush();
    expect(other.sink.of(c2).map((d) => text(d.message.body))).toEqual(['immediate']);
  });

  it('holds back each topic subscriber\'s copy', async () => {
    const { session, sink } = connect(await cores.start());
    const a = await session.subscribe(topic('t'), { flow: { kind: 'unbounded' }, autoSettle: true });
    const b = await session.subscribe(topic('t'), { flow: { kind: 'unbounded' }, autoSettle: true });
    await session.send(topic('t'), msg('news', { properties: { AMQ_SCHEDULED_DELAY: 150 } }));
    await flush();
    expect(sink.of(a)).toHaveLength(0);
    for (let waited = 0; (sink.of(a).length < 1 || sink.of(b).length < 1) && waited < 5000; waited += 20) await sleep(20);
    expect([sink.of(a).length, sink.of(b).length]).toEqual([1, 1]);
  });

  it('keeps a persistent scheduled message scheduled across a restart', async () => {
    const first = await cores.onJournal();
    const a = connect(first);
    const sent = Date.now();
    await a.session.send(queue('q'), msg('later', { properties: { AMQ_SCHEDULED_DELAY: 700 } }));
    await a.session.send(queue('q'), msg('now'));
    await first.stop();
    const core = await cores.onJournal();
    const { session, sink } = connect(core);
    const consumer = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    await flush();
    expect(sink.of(consumer).map((d) => text(d.message.body))).toEqual(['now']);
    expect(depthOf(core, 'q')).toBe(2);
    for (let waited = 0; sink.of(consumer).length < 2 && waited < 5000; waited += 20) await sleep(20);
    expect(text(sink.last(consumer).message.body)).toBe('later');
    expect(Date.now() - sent).toBeGreaterThanOrEqual(690);
  });
});
