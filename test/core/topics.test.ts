import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BrokerCore } from '../../src/core/index.js';
import type { SubscribeOptions } from '../../src/spi/core.js';
import { connect, expectCode, flush, msg, topic, startCore } from './core-fixture.js';

let core: BrokerCore;
beforeEach(async () => { core = await startCore(); });
afterEach(async () => { await core.stop(); });

const UNBOUNDED: SubscribeOptions = { flow: { kind: 'unbounded' }, autoSettle: true };

describe('topics', () => {
  it('gives one copy to every subscription', async () => {
    const a = connect(core);
    const b = connect(core);
    const a1 = await a.session.subscribe(topic('news'), UNBOUNDED);
    const a2 = await a.session.subscribe(topic('news'), UNBOUNDED);
    const b1 = await b.session.subscribe(topic('news'), UNBOUNDED);
    const p = connect(core);
    await p.session.send(topic('news'), msg('hello'));
    await p.session.send(topic('news'), msg('world'));
    expect(a.sink.bodies(a1)).toEqual(['hello', 'world']);
    expect(a.sink.bodies(a2)).toEqual(['hello', 'world']);
    expect(b.sink.bodies(b1)).toEqual(['hello', 'world']);
    expect(b.sink.last(b1).message.address).toEqual(topic('news'));
  });

  it('keeps nothing for a topic without subscribers, nor for a subscription that is gone', async () => {
    const p = connect(core);
    await p.session.send(topic('news'), msg('lost'));
    const a = connect(core);
    const c = await a.session.subscribe(topic('news'), UNBOUNDED);
    await flush();
    expect(a.sink.of(c)).toHaveLength(0);
    await a.session.unsubscribe(c);
    await p.session.send(topic('news'), msg('also lost'));
    const c2 = await a.session.subscribe(topic('news'), UNBOUNDED);
    await flush();
    expect(a.sink.of(c2)).toHaveLength(0);
    expect(core.stats().memoryBytes).toBe(0);
  });

  it('a slow subscriber gets its own copy later, without holding up a fast one', async () => {
    const slow = connect(core);
    const fast = connect(core);
    const cs = await slow.session.subscribe(topic('t'), { flow: { kind: 'window', size: 1 } });
    const cf = await fast.session.subscribe(topic('t'), UNBOUNDED);
    for (const x of ['1', '2', '3']) await fast.session.send(topic('t'), msg(x));
    expect(fast.sink.bodies(cf)).toEqual(['1', '2', '3']);
    expect(slow.sink.bodies(cs)).toEqual(['1']);
    await slow.session.settle(cs, slow.sink.last(cs).id, 'accepted');
    await slow.session.settle(cs, slow.sink.last(cs).id, 'accepted');
    expect(slow.sink.bodies(cs)).toEqual(['1', '2', '3']);
  });

  it('a queue and a topic of the same name are different destinations', async () => {
    const { session, sink } = connect(core);
    const t = await session.subscribe(topic('same'), UNBOUNDED);
    const q = await session.subscribe({ name: 'same', routing: 'anycast' }, UNBOUNDED);
    await session.send(topic('same'), msg('to-topic'));
    await session.send({ name: 'same', routing: 'anycast' }, msg('to-queue'));
    expect(sink.bodies(t)).toEqual(['to-topic']);
    expect(sink.bodies(q)).toEqual(['to-queue']);
  });

  it('refuses to publish to a wildcard name', async () => {
    const { session } = connect(core);
    await expectCode(session.send(topic('a.*'), msg('x')), 'INVALID_ADDRESS');
    await expectCode(session.send(topic('a.>'), msg('x')), 'INVALID_ADDRESS');
    await expectCode(session.subscribe(topic('a.>.b'), UNBOUNDED), 'INVALID_ADDRESS');
  });
});

describe('wildcards', () => {
  async function received(filter: string, names: string[]): Promise<string[]> {
    const { session, sink } = connect(core);
    const c = await session.subscribe(topic(filter), UNBOUNDED);
    const p = connect(core);
    for (const n of names) await p.session.send(topic(n), msg(n));
    await session.close();
    await p.session.close();
    return sink.bodies(c);
  }

  it('`a.>` matches a, a.b and a.b.c but not ab or b.a', async () => {
    expect(await received('a.>', ['a', 'a.b', 'a.b.c', 'ab', 'b.a', 'b'])).toEqual(['a', 'a.b', 'a.b.c']);
  });

  it('`a.*` matches a.b only', async () => {
    expect(await received('a.*', ['a', 'a.b', 'a.c', 'a.b.c', 'b.b'])).toEqual(['a.b', 'a.c']);
  });

  it('`*.b.>` and `>` combine levels', async () => {
    expect(await received('*.b.>', ['a.b', 'x.b.c', 'a.c.b', 'b'])).toEqual(['a.b', 'x.b.c']);
    expect(await received('>', ['a', 'a.b.c', 'z'])).toEqual(['a', 'a.b.c', 'z']);
  });

  it('leading wildcards do not match $SYS names; an explicit $SYS filter does', async () => {
    expect(await received('>', ['$SYS.x', 'x'])).toEqual(['x']);
    expect(await received('*.x', ['$SYS.x', 'a.x'])).toEqual(['a.x']);
    expect(await received('$SYS.>', ['$SYS.x', 'x'])).toEqual(['$SYS.x']);
    expect(await received('$SYS.*', ['$SYS.x', '$SYS.x.y'])).toEqual(['$SYS.x']);
  });

  it('overlapping filters of one session give one copy per subscription', async () => {
    const { session, sink } = connect(core);
    const wide = await session.subscribe(topic('a.>'), UNBOUNDED);
    const narrow = await session.subscribe(topic('a.b'), UNBOUNDED);
    await session.send(topic('a.b'), msg('x'));
    expect(sink.bodies(wide)).toEqual(['x']);
    expect(sink.bodies(narrow)).toEqual(['x']);
    expect(sink.of(wide)[0]!.subscription).toEqual(topic('a.>'));
    expect(sink.of(wide)[0]!.message.address).toEqual(topic('a.b'));
  });

  it('an unsubscribed wildcard filter stops matching, another one on the same node keeps working', async () => {
    const { session, sink } = connect(core);
    const one = await session.subscribe(topic('a.>'), UNBOUNDED);
    const two = await session.subscribe(topic('a.>'), UNBOUNDED);
    await session.unsubscribe(one);
    await session.send(topic('a.b'), msg('x'));
    expect(sink.of(one)).toHaveLength(0);
    expect(sink.bodies(two)).toEqual(['x']);
  });
});

describe('noLocal', () => {
  it('skips messages the same session sent, not those of others', async () => {
    const a = connect(core);
    const b = connect(core);
    const c = await a.session.subscribe(topic('chat'), { ...UNBOUNDED, noLocal: true });
    const all = await a.session.subscribe(topic('chat'), UNBOUNDED);
    await a.session.send(topic('chat'), msg('mine'));
    await b.session.send(topic('chat'), msg('theirs'));
    expect(a.sink.bodies(c)).toEqual(['theirs']);
    expect(a.sink.bodies(all)).toEqual(['mine', 'theirs']);
  });
});

describe('selectors on topic subscriptions', () => {
  it('each subscription gets only the messages its selector matches', async () => {
    const { session, sink } = connect(core);
    const big = await session.subscribe(topic('prices'), { ...UNBOUNDED, selector: 'price > 100' });
    const ibm = await session.subscribe(topic('prices'), { ...UNBOUNDED, selector: "symbol LIKE 'IB%'" });
    const all = await session.subscribe(topic('prices'), { ...UNBOUNDED, selector: '  ' });
    await session.send(topic('prices'), msg('ibm-150', { properties: { symbol: 'IBM', price: 150 } }));
    await session.send(topic('prices'), msg('ibm-50', { properties: { symbol: 'IBM', price: 50 } }));
    await session.send(topic('prices'), msg('msft-200', { properties: { symbol: 'MSFT', price: 200 } }));
    await session.send(topic('prices'), msg('none', { properties: {} }));
    expect(sink.bodies(big)).toEqual(['ibm-150', 'msft-200']);
    expect(sink.bodies(ibm)).toEqual(['ibm-150', 'ibm-50']);
    expect(sink.bodies(all)).toEqual(['ibm-150', 'ibm-50', 'msft-200', 'none']);
  });

  it('rejects a bad selector with INVALID_SELECTOR', async () => {
    const { session } = connect(core);
    await expectCode(session.subscribe(topic('t'), { ...UNBOUNDED, selector: "a = 'unterminated" }), 'INVALID_SELECTOR');
  });
});

describe('shared subscriptions', () => {
  it('consumers of one group share one copy, round-robin; other subscriptions still get theirs', async () => {
    const a = connect(core);
    const b = connect(core);
    const ga = await a.session.subscribe(topic('jobs'), { flow: { kind: 'window', size: 10 }, sharedGroup: 'workers' });
    const gb = await b.session.subscribe(topic('jobs'), { flow: { kind: 'window', size: 10 }, sharedGroup: 'workers' });
    const other = await b.session.subscribe(topic('jobs'), { flow: { kind: 'window', size: 10 }, sharedGroup: 'auditors' });
    const plain = await b.session.subscribe(topic('jobs'), UNBOUNDED);
    for (const x of ['1', '2', '3', '4']) await a.session.send(topic('jobs'), msg(x));
    expect(a.sink.bodies(ga)).toEqual(['1', '3']);
    expect(b.sink.bodies(gb)).toEqual(['2', '4']);
    expect(b.sink.bodies(other)).toEqual(['1', '2', '3', '4']);
    expect(b.sink.bodies(plain)).toEqual(['1', '2', '3', '4']);
  });

  it('a member leaving hands its unsettled messages to the rest of the group', async () => {
    const a = connect(core);
    const b = connect(core);
    const ga = await a.session.subscribe(topic('jobs'), { flow: { kind: 'window', size: 10 }, sharedGroup: 'w' });
    const gb = await b.session.subscribe(topic('jobs'), { flow: { kind: 'window', size: 10 }, sharedGroup: 'w' });
    for (const x of ['1', '2']) await a.session.send(topic('jobs'), msg(x));
    expect(a.sink.bodies(ga)).toEqual(['1']);
    await a.session.close();
    expect(b.sink.bodies(gb)).toEqual(['2', '1']);
    expect(b.sink.last(gb)).toMatchObject({ redelivered: true, deliveryCount: 2 });
  });

  it('the same group name on a different topic is a different subscription', async () => {
    const { session, sink } = connect(core);
    const x = await session.subscribe(topic('x'), { ...UNBOUNDED, sharedGroup: 'g' });
    const y = await session.subscribe(topic('y'), { ...UNBOUNDED, sharedGroup: 'g' });
    await session.send(topic('x'), msg('to-x'));
    await session.send(topic('y'), msg('to-y'));
    expect(sink.bodies(x)).toEqual(['to-x']);
    expect(sink.bodies(y)).toEqual(['to-y']);
  });

  it('when the last member leaves, the shared subscription and its messages are gone', async () => {
    const a = connect(core);
    const ga = await a.session.subscribe(topic('jobs'), { flow: { kind: 'credit', initial: 0 }, sharedGroup: 'w' });
    await a.session.send(topic('jobs'), msg('held'));
    await a.session.unsubscribe(ga);
    await flush();
    const again = await a.session.subscribe(topic('jobs'), { flow: { kind: 'window', size: 10 }, sharedGroup: 'w' });
    await flush();
    expect(a.sink.of(again)).toHaveLength(0);
    expect(core.stats().memoryBytes).toBe(0);
  });
});
