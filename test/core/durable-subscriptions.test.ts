import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BrokerCore } from '../../src/core/index.js';
import type { SubscribeOptions } from '../../src/spi/core.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { connect, expectCode, flush, msg, startCore, topic, type Client } from './core-fixture.js';

let store: MemoryStore;
let core: BrokerCore;
const cores: BrokerCore[] = [];
async function boot(): Promise<BrokerCore> {
  core = await startCore({}, store);
  cores.push(core);
  return core;
}
beforeEach(async () => {
  store = new MemoryStore();
  cores.length = 0;
  await boot();
});
afterEach(async () => {
  for (const c of cores) await c.stop();
});

const durable = (name: string, extra: Partial<SubscribeOptions> = {}): SubscribeOptions => ({
  flow: { kind: 'window', size: 100 }, durableName: name, ...extra,
});

function client(clientId: string): Client {
  return connect(core, { clientId });
}

describe('durable subscriptions', () => {
  it('need a client id: CLIENT_ID_REQUIRED', async () => {
    const { session } = connect(core);
    await expectCode(session.subscribe(topic('t'), durable('sub')), 'CLIENT_ID_REQUIRED');
    await expectCode(session.removeDurable('sub'), 'CLIENT_ID_REQUIRED');
  });

  it('keep messages while the subscriber is away and deliver them on its return', async () => {
    const a = client('app');
    const c = await a.session.subscribe(topic('news'), durable('sub'));
    const p = connect(core);
    await p.session.send(topic('news'), msg('1'));
    expect(a.sink.bodies(c)).toEqual(['1']);
    await a.session.settle(c, a.sink.last(c).id, 'accepted');
    await a.session.close();
    await p.session.send(topic('news'), msg('2'));
    await p.session.send(topic('news'), msg('3', { persistent: false }));
    const back = client('app');
    const c2 = await back.session.subscribe(topic('news'), durable('sub'));
    expect(back.sink.bodies(c2)).toEqual(['2', '3']);
  });

  it('unsettled messages of a departed durable subscriber are redelivered on its return', async () => {
    const a = client('app');
    const c = await a.session.subscribe(topic('news'), durable('sub'));
    await a.session.send(topic('news'), msg('1'));
    await a.session.close();
    const back = client('app');
    const c2 = await back.session.subscribe(topic('news'), durable('sub'));
    expect(back.sink.of(c2).map((d) => [d.deliveryCount, d.redelivered])).toEqual([[2, true]]);
    expect(a.sink.of(c)).toHaveLength(1);
  });

  it('are named within the client id', async () => {
    const a = client('app-a');
    const b = client('app-b');
    const ca = await a.session.subscribe(topic('news'), durable('sub'));
    const cb = await b.session.subscribe(topic('news'), durable('sub'));
    await a.session.send(topic('news'), msg('x'));
    expect(a.sink.bodies(ca)).toEqual(['x']);
    expect(b.sink.bodies(cb)).toEqual(['x']);
  });

  it('SUBSCRIPTION_IN_USE for a second consumer of the same subscription', async () => {
    const a = client('app');
    await a.session.subscribe(topic('news'), durable('sub'));
    await expectCode(a.session.subscribe(topic('news'), durable('sub')), 'SUBSCRIPTION_IN_USE');
    await expectCode(a.session.removeDurable('sub'), 'SUBSCRIPTION_IN_USE');
  });

  it('a shared durable subscription load-balances its consumers and is not replaced under them', async () => {
    const a = client('app');
    const shared = durable('sub', { sharedGroup: 'g' });
    const c1 = await a.session.subscribe(topic('news'), shared);
    const c2 = await a.session.subscribe(topic('news'), shared);
    for (const x of ['1', '2', '3', '4']) await a.session.send(topic('news'), msg(x));
    expect(a.sink.bodies(c1)).toEqual(['1', '3']);
    expect(a.sink.bodies(c2)).toEqual(['2', '4']);
    await expectCode(a.session.subscribe(topic('news'), { ...shared, selector: 'x = 1' }), 'SUBSCRIPTION_IN_USE');
    await expectCode(a.session.subscribe(topic('other'), shared), 'SUBSCRIPTION_IN_USE');
    await a.session.send(topic('news'), msg('5'));
    expect([...a.sink.bodies(c1), ...a.sink.bodies(c2)].sort()).toEqual(['1', '2', '3', '4', '5']);
  });

  it('removeDurable deletes the subscription and its messages; NO_SUCH_SUBSCRIPTION after', async () => {
    const a = client('app');
    const c = await a.session.subscribe(topic('news'), durable('sub'));
    await a.session.unsubscribe(c);
    await a.session.send(topic('news'), msg('kept-then-deleted'));
    await a.session.removeDurable('sub');
    await expectCode(a.session.removeDurable('sub'), 'NO_SUCH_SUBSCRIPTION');
    await a.session.send(topic('news'), msg('nobody'));
    const c2 = await a.session.subscribe(topic('news'), durable('sub'));
    await flush();
    expect(a.sink.of(c2)).toHaveLength(0);
    expect(core.stats().memoryBytes).toBe(0);
  });

  it('NO_SUCH_SUBSCRIPTION for a name never subscribed', async () => {
    const a = client('app');
    await expectCode(a.session.removeDurable('never'), 'NO_SUCH_SUBSCRIPTION');
  });

  it('a changed selector replaces the subscription, dropping what it held', async () => {
    const a = client('app');
    const c = await a.session.subscribe(topic('news'), durable('sub', { selector: "kind = 'a'" }));
    await a.session.unsubscribe(c);
    await a.session.send(topic('news'), msg('a1', { properties: { kind: 'a' } }));
    await a.session.send(topic('news'), msg('b1', { properties: { kind: 'b' } }));
    // Same selector: the same subscription with what it kept (only the matching message).
    const same = await a.session.subscribe(topic('news'), durable('sub', { selector: "kind = 'a'" }));
    expect(a.sink.bodies(same)).toEqual(['a1']);
    await a.session.settle(same, a.sink.last(same).id, 'accepted');
    await a.session.unsubscribe(same);
    await a.session.send(topic('news'), msg('a2', { properties: { kind: 'a' } }));
    const changed = await a.session.subscribe(topic('news'), durable('sub', { selector: "kind = 'b'" }));
    await flush();
    expect(a.sink.of(changed)).toHaveLength(0);
    await a.session.send(topic('news'), msg('a3', { properties: { kind: 'a' } }));
    await a.session.send(topic('news'), msg('b2', { properties: { kind: 'b' } }));
    expect(a.sink.bodies(changed)).toEqual(['b2']);
  });

  it('a changed topic replaces the subscription too', async () => {
    const a = client('app');
    const c = await a.session.subscribe(topic('old'), durable('sub'));
    await a.session.unsubscribe(c);
    await a.session.send(topic('old'), msg('old-1'));
    const moved = await a.session.subscribe(topic('new'), durable('sub'));
    await a.session.send(topic('old'), msg('old-2'));
    await a.session.send(topic('new'), msg('new-1'));
    expect(a.sink.bodies(moved)).toEqual(['new-1']);
  });

  it('a wildcard durable subscription collects from every matching topic', async () => {
    const a = client('app');
    const c = await a.session.subscribe(topic('orders.>'), durable('all-orders'));
    await a.session.unsubscribe(c);
    const p = connect(core);
    await p.session.send(topic('orders.eu'), msg('eu'));
    await p.session.send(topic('orders.us.east'), msg('us'));
    await p.session.send(topic('invoices'), msg('no'));
    const back = await a.session.subscribe(topic('orders.>'), durable('all-orders'));
    expect(a.sink.bodies(back)).toEqual(['eu', 'us']);
  });

  it('noLocal skips messages of connections with the same client id', async () => {
    const a = client('app');
    const c = await a.session.subscribe(topic('chat'), durable('sub', { noLocal: true }));
    await a.session.send(topic('chat'), msg('mine'));
    const other = connect(core);
    await other.session.send(topic('chat'), msg('theirs'));
    expect(a.sink.bodies(c)).toEqual(['theirs']);
  });

  it('only persistent messages survive a core restart; settled ones do not come back', async () => {
    const a = client('app');
    const c = await a.session.subscribe(topic('news'), durable('sub', { selector: "keep = TRUE" }));
    const p = connect(core);
    await p.session.send(topic('news'), msg('acked', { properties: { keep: true } }));
    await a.session.settle(c, a.sink.last(c).id, 'accepted');
    await a.session.close();
    await p.session.send(topic('news'), msg('p1', { properties: { keep: true } }));
    await p.session.send(topic('news'), msg('np', { persistent: false, properties: { keep: true } }));
    await p.session.send(topic('news'), msg('filtered', { properties: { keep: false } }));
    await p.session.send(topic('news'), msg('p2', { properties: { keep: true } }));
    // A crash: the old core is simply abandoned, a new one starts on the same store.
    await boot();
    const back = client('app');
    const c2 = await back.session.subscribe(topic('news'), durable('sub', { selector: "keep = TRUE" }));
    expect(back.sink.bodies(c2)).toEqual(['p1', 'p2']);
    // The recovered subscription still routes with its selector, and is still durable.
    const p2 = connect(core);
    await p2.session.send(topic('news'), msg('p3', { properties: { keep: true } }));
    await p2.session.send(topic('news'), msg('filtered-2', { properties: { keep: false } }));
    expect(back.sink.bodies(c2)).toEqual(['p1', 'p2', 'p3']);
    await expectCode(back.session.subscribe(topic('news'), durable('sub', { selector: "keep = TRUE" })), 'SUBSCRIPTION_IN_USE');
  });

  it('a removed durable subscription stays removed after a restart', async () => {
    const a = client('app');
    const c = await a.session.subscribe(topic('news'), durable('sub'));
    await a.session.unsubscribe(c);
    await a.session.send(topic('news'), msg('x'));
    await a.session.removeDurable('sub');
    await a.session.close();
    await boot();
    const back = client('app');
    await expectCode(back.session.removeDurable('sub'), 'NO_SUCH_SUBSCRIPTION');
  });

  it('a durable subscription replaced by a new selector is recovered with the new one', async () => {
    const a = client('app');
    await a.session.close();
    const s1 = client('app');
    const c1 = await s1.session.subscribe(topic('news'), durable('sub', { selector: "v = 1" }));
    await s1.session.unsubscribe(c1);
    const c2 = await s1.session.subscribe(topic('news'), durable('sub', { selector: "v = 2" }));
    await s1.session.unsubscribe(c2);
    await s1.session.send(topic('news'), msg('one', { properties: { v: 1 } }));
    await s1.session.send(topic('news'), msg('two', { properties: { v: 2 } }));
    await s1.session.close();
    await boot();
    const back = client('app');
    const c3 = await back.session.subscribe(topic('news'), durable('sub', { selector: "v = 2" }));
    expect(back.sink.bodies(c3)).toEqual(['two']);
  });
});
