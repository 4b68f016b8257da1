import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerCore, CoreConfig } from '../../src/core/index.js';
import { JournalStore } from '../../src/store/journal/index.js';
import { removeDir, tempDir } from '../store/helpers.js';
import { connect, expectCode, msg, queue, startCore, topic } from './core-fixture.js';

let core: BrokerCore | undefined;
async function useCore(overrides: Partial<CoreConfig> = {}): Promise<BrokerCore> {
  core = await startCore(overrides);
  return core;
}
afterEach(async () => {
  await core?.stop();
  core = undefined;
});

const bodies = (browsed: { message: { body: Uint8Array } }[]): string[] => browsed.map((b) => Buffer.from(b.message.body).toString());

describe('queue browse', () => {
  it('returns the waiting messages in dispatch order and removes nothing', async () => {
    const { session } = connect(await useCore());
    await session.send(queue('q'), msg('low-1', { priority: 1 }));
    await session.send(queue('q'), msg('high', { priority: 9 }));
    await session.send(queue('q'), msg('low-2', { priority: 1 }));
    expect(bodies(await session.browse(queue('q')))).toEqual(['high', 'low-1', 'low-2']);
    expect(bodies(await session.browse(queue('q')))).toEqual(['high', 'low-1', 'low-2']);
    const consumer = connect(core!);
    const c = await consumer.session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    expect(consumer.sink.of(c).map((d) => Buffer.from(d.message.body).toString())).toEqual(['high', 'low-1', 'low-2']);
  });

  it('leaves out messages in flight and expired ones, and applies a selector', async () => {
    const { session, sink } = connect(await useCore());
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
    const { session, sink } = connect(await useCore({ browseMaxMessages: 3 }));
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
    const c = await useCore();
    const { session } = connect(c);
    expect(await session.browse(queue('nothing.here'))).toEqual([]);
    expect(c.stats().destinations.some((d) => d.name === 'nothing.here')).toBe(false);
    await expectCode(session.browse(topic('t')), 'INVALID_ADDRESS');
    await expectCode(session.browse(queue('q'), { selector: 'color = ' }), 'INVALID_SELECTOR');
  });

  it('browses a recovered queue after a restart', async () => {
    const dir = await tempDir();
    try {
      const first = await startCore({}, new JournalStore({ dir }));
      const a = connect(first);
      for (let i = 0; i < 3; i++) await a.session.send(queue('q'), msg(`m${i}`));
      await first.stop();
      core = await startCore({}, new JournalStore({ dir }));
      const { session } = connect(core);
      expect(bodies(await session.browse(queue('q')))).toEqual(['m0', 'm1', 'm2']);
    } finally {
      await core?.stop();
      core = undefined;
      await removeDir(dir);
    }
  });
});
