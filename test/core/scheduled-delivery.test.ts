import { describe, expect, it } from 'vitest';
import type { BrokerCore } from '../../src/core/index.js';
import { coresPerTest, connect, expectCode, flush, msg, queue, topic } from './core-fixture.js';

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

  it('repeats a message AMQ_SCHEDULED_REPEAT more times, AMQ_SCHEDULED_PERIOD apart, each a message of its own, across a restart', async () => {
    const first = await cores.onJournal();
    const a = connect(first);
    const sent = Date.now();
    await a.session.send(queue('q'), msg('tick', { messageId: 'ID:tick', properties: { AMQ_SCHEDULED_DELAY: 300, AMQ_SCHEDULED_PERIOD: 200, AMQ_SCHEDULED_REPEAT: 2 } }));
    expect(depthOf(first, 'q')).toBe(3); // the first delivery and two repeats, stored at the send
    await first.stop();
    const core = await cores.onJournal();
    const { session, sink } = connect(core);
    const consumer = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    for (let waited = 0; sink.of(consumer).length < 3 && waited < 5000; waited += 20) await sleep(20);
    const got = sink.of(consumer).map((d) => ({ id: d.message.messageId, due: d.message.deliveryTime! - sent }));
    expect(got.map((g) => g.id)).toEqual(['ID:tick', 'ID:tick:1', 'ID:tick:2']);
    expect(got.map((g) => Math.round(g.due / 100) * 100)).toEqual([300, 500, 700]);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(690);
  });

  it('without a delay waits one period first (as ActiveMQ); refuses cron schedules and endless repeats or more than core.maxScheduledRepeats', async () => {
    const { session, sink } = connect(await cores.start());
    const consumer = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    await session.send(queue('q'), msg('periodic', { properties: { AMQ_SCHEDULED_PERIOD: '400', AMQ_SCHEDULED_REPEAT: '1' } }));
    await session.send(queue('q'), msg('repeat only', { properties: { AMQ_SCHEDULED_REPEAT: 5 } })); // no delay or period: once, at once
    await flush();
    expect(sink.of(consumer).map((d) => text(d.message.body))).toEqual(['repeat only']);
    for (let waited = 0; sink.of(consumer).length < 3 && waited < 5000; waited += 20) await sleep(20);
    expect(sink.of(consumer).map((d) => text(d.message.body))).toEqual(['repeat only', 'periodic', 'periodic']);
    await expectCode(session.send(queue('q'), msg('cron', { properties: { AMQ_SCHEDULED_CRON: '* * * * *' } })), 'INVALID_MESSAGE');
    await expectCode(session.send(queue('q'), msg('endless', { properties: { AMQ_SCHEDULED_DELAY: 10, AMQ_SCHEDULED_REPEAT: -1 } })), 'INVALID_MESSAGE');
    await expectCode(session.send(queue('q'), msg('huge', { properties: { AMQ_SCHEDULED_DELAY: 10, AMQ_SCHEDULED_REPEAT: 1001 } })), 'INVALID_MESSAGE');
    const small = connect(await cores.start({ memoryLimitBytes: 80_000 }));
    await small.session.send(queue('q'), msg('x'.repeat(1000), { properties: { AMQ_SCHEDULED_DELAY: 10, AMQ_SCHEDULED_REPEAT: 9 } }));
    await expectCode(small.session.send(queue('q'), msg('x'.repeat(1000), { properties: { AMQ_SCHEDULED_DELAY: 10, AMQ_SCHEDULED_REPEAT: 10 } })), 'RESOURCE_LIMIT');
    const strict = connect(await cores.start({ maxScheduledRepeats: 2 }));
    await strict.session.send(queue('q'), msg('two', { properties: { AMQ_SCHEDULED_DELAY: 10, AMQ_SCHEDULED_REPEAT: 2 } }));
    await expectCode(strict.session.send(queue('q'), msg('three', { properties: { AMQ_SCHEDULED_DELAY: 10, AMQ_SCHEDULED_REPEAT: 3 } })), 'INVALID_MESSAGE');
  });
});
