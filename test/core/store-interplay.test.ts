import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BrokerCore, CoreConfig } from '../../src/core/index.js';
import type { Store } from '../../src/store/store.js';
import { FailingStore, HeldStore, connect, expectCode, flush, isSettled, msg, queue, startCore, topic } from './core-fixture.js';

const cores: BrokerCore[] = [];
async function boot(store: Store, overrides: Partial<CoreConfig> = {}): Promise<BrokerCore> {
  const core = await startCore(overrides, store);
  cores.push(core);
  return core;
}
afterEach(async () => {
  for (const c of cores.splice(0)) await c.stop();
});

describe('a store with latency', () => {
  it('a persistent send resolves only after its store commit, and is delivered only then', async () => {
    const store = new HeldStore();
    const core = await boot(store);
    const { session, sink } = connect(core);
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    await flush();
    store.holding = true;
    const sent = session.send(queue('q'), msg('durable'));
    expect(await isSettled(sent)).toBe(false);
    expect(store.held.some((h) => h.ops.some((op) => op.kind === 'message'))).toBe(true);
    expect(sink.of(c)).toHaveLength(0);
    store.releaseAll();
    await sent;
    expect(sink.bodies(c)).toEqual(['durable']);
    const state = await store.inner.open();
    expect(state.queues.get('q:q')?.entries).toHaveLength(1);
  });

  it('dequeues settled in one tick share a commit, in order with the commits around them', async () => {
    const store = new HeldStore();
    const core = await boot(store);
    const { session, sink } = connect(core);
    for (const body of ['a', 'b', 'c']) await session.send(queue('q'), msg(body));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    const [a, b, third] = sink.of(c);
    store.holding = true;
    const first = [session.settle(c, a!.id, 'accepted'), session.settle(c, b!.id, 'accepted')];
    const sent = session.send(queue('q'), msg('d'));
    const last = session.settle(c, third!.id, 'accepted');
    await flush();
    expect(store.held.map((h) => h.ops.map((op) => op.kind))).toEqual([['dequeue', 'dequeue'], ['message', 'enqueue'], ['dequeue']]);
    expect(await isSettled(Promise.all(first))).toBe(false);
    store.releaseAll();
    await Promise.all([...first, sent, last]);
    expect((await store.inner.open()).queues.get('q:q')?.entries).toHaveLength(1);
  });

  it('a non-persistent send does not wait for the store', async () => {
    const store = new HeldStore();
    const core = await boot(store);
    const { session, sink } = connect(core);
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    store.holding = true;
    await session.send(queue('q'), msg('fast', { persistent: false }));
    expect(sink.bodies(c)).toEqual(['fast']);
    store.releaseAll();
  });

  it('settling a persistent message resolves only after the dequeue is durable', async () => {
    const store = new HeldStore();
    const core = await boot(store);
    const { session, sink } = connect(core);
    await session.send(queue('q'), msg('m'));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    store.holding = true;
    const settled = session.settle(c, sink.last(c).id, 'accepted');
    expect(await isSettled(settled)).toBe(false);
    expect(store.held.flatMap((h) => h.ops.map((op) => op.kind))).toContain('dequeue');
    store.releaseAll();
    await settled;
    expect((await store.inner.open()).queues.get('q:q')?.entries).toHaveLength(0);
  });

  it('a transaction commit resolves only after its store commit', async () => {
    const store = new HeldStore();
    const core = await boot(store);
    const { session, sink } = connect(core);
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    await flush();
    const tx = session.begin();
    await session.send(queue('q'), msg('m'), tx);
    store.holding = true;
    const committed = session.commit(tx);
    expect(await isSettled(committed)).toBe(false);
    expect(sink.of(c)).toHaveLength(0);
    store.releaseAll();
    await committed;
    expect(sink.bodies(c)).toEqual(['m']);
  });

  it('a durable subscription exists once subscribe resolves, which waits for the store', async () => {
    const store = new HeldStore();
    const core = await boot(store);
    const { session } = connect(core, { clientId: 'app' });
    store.holding = true;
    const subscribed = session.subscribe(topic('t'), { flow: { kind: 'window', size: 10 }, durableName: 'd' });
    expect(await isSettled(subscribed)).toBe(false);
    store.releaseAll();
    await subscribed;
    const keys = [...(await store.inner.open()).queues.keys()];
    expect(keys.some((k) => k.startsWith('d:'))).toBe(true);
  });
});

describe('a failing store', () => {
  it('persistent sends reject with STORE_FAILED; non-persistent ones still work', async () => {
    const store = new FailingStore();
    const core = await boot(store);
    const { session, sink } = connect(core);
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    const t = await session.subscribe(topic('t'), { flow: { kind: 'window', size: 10 } });
    await flush();
    expect(core.serving).toBe(true);
    store.fail();
    expect(core.serving).toBe(false);
    await expectCode(session.send(queue('q'), msg('lost')), 'STORE_FAILED');
    await session.send(queue('q'), msg('np', { persistent: false }));
    // A persistent message that no durable container holds needs no store.
    await session.send(topic('t'), msg('to-non-durable-subscribers'));
    expect(sink.bodies(c)).toEqual(['np']);
    expect(sink.bodies(t)).toEqual(['to-non-durable-subscribers']);
    // A rejected send left nothing behind.
    expect(core.stats().destinations.find((d) => d.name === 'q')).toMatchObject({ depth: 1 });
  });

  it('a persistent message already stored can still be delivered; its settlement rejects', async () => {
    const store = new FailingStore();
    const core = await boot(store);
    const { session, sink } = connect(core);
    await session.send(queue('q'), msg('stored'));
    store.fail();
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    expect(sink.bodies(c)).toEqual(['stored']);
    await expectCode(session.settle(c, sink.last(c).id, 'accepted'), 'STORE_FAILED');
  });

  describe('failures of background store writes are contained (no unhandled rejection)', () => {
    const unhandled: unknown[] = [];
    const record = (e: unknown): void => { unhandled.push(e); };
    beforeEach(() => {
      unhandled.length = 0;
      process.on('unhandledRejection', record);
    });
    afterEach(() => {
      process.off('unhandledRejection', record);
    });
    async function failingCoreWithStoredMessage(extra = {}, config: Partial<CoreConfig> = {}): Promise<{ core: BrokerCore; store: FailingStore }> {
      const store = new FailingStore();
      const core = await boot(store, config);
      const { session } = connect(core);
      await session.send(queue('q'), msg('stored', extra));
      store.fail();
      return { core, store };
    }

    it('an auto-settled delivery whose dequeue cannot be written', async () => {
      const { core } = await failingCoreWithStoredMessage();
      const { session, sink } = connect(core);
      const c = await session.subscribe(queue('q'), { flow: { kind: 'unbounded' }, autoSettle: true });
      await flush();
      await flush();
      expect(sink.bodies(c)).toEqual(['stored']);
      expect(unhandled).toEqual([]);
    });

    it('an expired message that cannot be dead-lettered', async () => {
      const { core } = await failingCoreWithStoredMessage({ expiration: Date.now() + 20 });
      await new Promise((r) => setTimeout(r, 40));
      const { session, sink } = connect(core);
      await session.subscribe(queue('q'), { flow: { kind: 'unbounded' }, autoSettle: true });
      await flush();
      await flush();
      expect(sink.deliveries).toHaveLength(0);
      expect(unhandled).toEqual([]);
    });

    it('a rejection in a committed transaction that cannot be dead-lettered', async () => {
      const { core } = await failingCoreWithStoredMessage();
      const { session, sink } = connect(core);
      const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
      const tx = session.begin();
      await session.settle(c, sink.last(c).id, 'rejected', { tx });
      await session.commit(tx).catch(() => undefined);
      await flush();
      await flush();
      expect(unhandled).toEqual([]);
    });

    it('a session taken over whose rollback cannot dead-letter', async () => {
      const { core } = await failingCoreWithStoredMessage({}, { maxRedeliveries: 0 });
      const old = connect(core, { clientId: 'dev', clientIdPolicy: 'takeover' });
      const c = await old.session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
      const tx = old.session.begin();
      await old.session.settle(c, old.sink.last(c).id, 'accepted', { tx });
      connect(core, { clientId: 'dev', clientIdPolicy: 'takeover' });
      await flush();
      await flush();
      expect(old.sink.sessionCloses.map((e) => e.code)).toEqual(['TAKEOVER']);
      expect(unhandled).toEqual([]);
    });
  });

  it('a durable subscribe rejects with STORE_FAILED', async () => {
    const store = new FailingStore();
    const core = await boot(store);
    const { session } = connect(core, { clientId: 'app' });
    store.fail();
    await expectCode(session.subscribe(topic('t'), { flow: { kind: 'window', size: 10 }, durableName: 'd' }), 'STORE_FAILED');
  });
});
