import { describe, expect, it } from 'vitest';
import { coresPerTest, connect, expectCode, msg, queue, topic } from './core-fixture.js';

const cores = coresPerTest();

const bodies = (browsed: { message: { body: Uint8Array } }[]): string[] => browsed.map((b) => Buffer.from(b.message.body).toString());

describe('queue browse', () => {
  it('returns the waiting messages in dispatch order and removes nothing', async () => {
    const core = await cores.start();
    const { session } = connect(core);
    await session.send(queue('q'), msg('low-1', { priority: 1 }));
    await session.send(queue('q'), msg('high', { priority: 9 }));
    await session.send(queue('q'), msg('low-2', { priority: 1 }));
    expect(bodies(await session.browse(queue('q')))).toEqual(['high', 'low-1', 'low-2']);
    expect(bodies(await session.browse(queue('q')))).toEqual(['high', 'low-1', 'low-2']);
    const consumer = connect(core);
    const c = await consumer.session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    expect(consumer.sink.of(c).map((d) => Buffer.from(d.message.body).toString())).toEqual(['high', 'low-1', 'low-2']);
  });

  it('leaves out messages in flight and expired ones, and applies a selector', async () => {
    const { session, sink } = connect(await cores.start());
    await session.send(queue('q'), msg('taken'));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    expect(sink.of(c)).toHaveLength(1);
    await session.send(queue('q'), msg('old', { expiration: Date.now() - 1 }));
    await session.send(queue('q'), msg('red', { properties: { color: 'red' } }));
    await session.send(queue('q'), msg('blue', { properties: { color: 'blue' } }));
    expect(bodies(await session.browse(queue('q')))).toEqual(['red', 'blue']);
    expect(bodies(await session.browse(queue('q'), { selector: "color = 'blue'" }))).toEqual(['blue']);
  });

  it('shows a redelivered message with its count, and caps the snapshot', async () => {
    const { session, sink } = connect(await cores.start({ browseMaxMessages: 3 }));
    await session.send(queue('q'), msg('first'));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    await session.unsubscribe(c); // back to the queue, delivered once
    expect(sink.of(c)).toHaveLength(1);
    for (let i = 0; i < 5; i++) await session.send(queue('q'), msg(`m${i}`));
    const browsed = await session.browse(queue('q'));
    expect(bodies(browsed)).toEqual(['first', 'm0', 'm1']);
    expect(browsed[0]).toMatchObject({ redelivered: true });
    expect(bodies(await session.browse(queue('q'), { max: 2 }))).toEqual(['first', 'm0']);
  });

  it('finds an unknown queue empty without creating it, and refuses topics and bad selectors', async () => {
    const c = await cores.start();
    const { session } = connect(c);
    expect(await session.browse(queue('nothing.here'))).toEqual([]);
    expect(c.stats().destinations.some((d) => d.name === 'nothing.here')).toBe(false);
    await expectCode(session.browse(topic('t')), 'INVALID_ADDRESS');
    await expectCode(session.browse(queue('q'), { selector: 'color = ' }), 'INVALID_SELECTOR');
  });

  it('browses a recovered queue after a restart', async () => {
    const first = await cores.onJournal();
    const a = connect(first);
    for (let i = 0; i < 3; i++) await a.session.send(queue('q'), msg(`m${i}`));
    await first.stop();
    const core = await cores.onJournal();
    const { session } = connect(core);
    expect(bodies(await session.browse(queue('q')))).toEqual(['m0', 'm1', 'm2']);
  });
});
