import { describe, expect, it } from 'vitest';
import { coresPerTest, connect, flush, msg, queue, topic } from './core-fixture.js';

const cores = coresPerTest();

const bodies = (c: ReturnType<typeof connect>, consumer: number): string[] => c.sink.of(consumer).map((d) => Buffer.from(d.message.body).toString());
const dup = (body: string, id: string, extra = {}) => msg(body, { properties: { _AMQ_DUPL_ID: id }, ...extra });

describe('duplicate detection (_AMQ_DUPL_ID)', () => {
  it('acknowledges a repeated id and routes it nowhere; other ids and other destinations pass', async () => {
    const c = connect(await cores.start());
    const q = await c.session.subscribe(queue('q'), { flow: { kind: 'window', size: 100 } });
    const other = await c.session.subscribe(queue('other'), { flow: { kind: 'window', size: 100 } });
    await c.session.send(queue('q'), dup('first', 'order-1'));
    await c.session.send(queue('q'), dup('retry', 'order-1'));
    await c.session.send(queue('q'), dup('second', 'order-2'));
    await c.session.send(queue('q'), msg('no id'));
    await c.session.send(queue('q'), msg('no id'));
    await c.session.send(queue('other'), dup('elsewhere', 'order-1'));
    await flush();
    expect(bodies(c, q)).toEqual(['first', 'second', 'no id', 'no id']);
    expect(bodies(c, other)).toEqual(['elsewhere']);
  });

  it('forgets an id after the window, and the oldest ids past maxIds', async () => {
    const c = connect(await cores.start({ duplicateWindowMs: 1000, duplicateMaxIds: 2 }));
    const q = await c.session.subscribe(queue('q'), { flow: { kind: 'window', size: 100 } });
    for (const id of ['a', 'b', 'c']) await c.session.send(queue('q'), dup(id, id));
    await c.session.send(queue('q'), dup('a again', 'a')); // pushed out by c
    await c.session.send(queue('q'), dup('c again', 'c'));
    await flush();
    expect(bodies(c, q)).toEqual(['a', 'b', 'c', 'a again']);
    await new Promise((r) => setTimeout(r, 1100));
    await c.session.send(queue('q'), dup('c later', 'c'));
    await flush();
    expect(bodies(c, q).at(-1)).toBe('c later');
  });

  it('drops a duplicate inside a transaction and after its commit', async () => {
    const c = connect(await cores.start());
    const q = await c.session.subscribe(queue('q'), { flow: { kind: 'window', size: 100 } });
    const tx = c.session.begin();
    await c.session.send(queue('q'), dup('one', 'x'), tx);
    await c.session.send(queue('q'), dup('one again', 'x'), tx);
    await c.session.commit(tx);
    await c.session.send(queue('q'), dup('outside', 'x'));
    await flush();
    expect(bodies(c, q)).toEqual(['one']);
  });

  it('is off with a window of 0', async () => {
    const c = connect(await cores.start({ duplicateWindowMs: 0 }));
    const t = await c.session.subscribe(topic('t'), { flow: { kind: 'unbounded' }, autoSettle: true });
    await c.session.send(topic('t'), dup('1', 'same'));
    await c.session.send(topic('t'), dup('2', 'same'));
    await flush();
    expect(bodies(c, t)).toEqual(['1', '2']);
  });

  it('remembers the ids of persistent messages across a restart', async () => {
    const first = await cores.onJournal();
    await connect(first).session.send(queue('q'), dup('before', 'k'));
    await connect(first).session.send(queue('q'), dup('volatile', 'v', { persistent: false }));
    await first.stop();
    const core = await cores.onJournal();
    const c = connect(core);
    await c.session.send(queue('q'), dup('retry after restart', 'k'));
    await c.session.send(queue('q'), dup('volatile resent', 'v', { persistent: false }));
    const consumer = await c.session.subscribe(queue('q'), { flow: { kind: 'window', size: 100 } });
    await flush();
    expect(bodies(c, consumer)).toEqual(['before', 'volatile resent']);
  });
});
