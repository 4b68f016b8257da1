import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BrokerCore } from '../../src/core/index.js';
import type { SubscribeOptions } from '../../src/spi/core.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';
import { DLQ, FailingStore, connect, expectCode, flush, msg, queue, startCore, topic } from './core-fixture.js';

let store: MemoryStore;
let core: BrokerCore;
const cores: BrokerCore[] = [];
async function boot(s: Store = store): Promise<BrokerCore> {
  core = await startCore({}, s);
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

const WINDOW: SubscribeOptions = { flow: { kind: 'window', size: 10 } };

describe('transacted sends', () => {
  it('are invisible until commit, then delivered in send order', async () => {
    const producer = connect(core);
    const consumer = connect(core);
    const c = await consumer.session.subscribe(queue('q'), WINDOW);
    const t = await consumer.session.subscribe(topic('t'), WINDOW);
    const tx = producer.session.begin();
    await producer.session.send(queue('q'), msg('1'), tx);
    await producer.session.send(topic('t'), msg('t1'), tx);
    await producer.session.send(queue('q'), msg('2'), tx);
    await flush();
    expect(consumer.sink.deliveries).toHaveLength(0);
    await producer.session.commit(tx);
    expect(consumer.sink.bodies(c)).toEqual(['1', '2']);
    expect(consumer.sink.bodies(t)).toEqual(['t1']);
  });

  it('are gone on rollback', async () => {
    const producer = connect(core);
    const consumer = connect(core);
    const c = await consumer.session.subscribe(queue('q'), WINDOW);
    const tx = producer.session.begin();
    await producer.session.send(queue('q'), msg('never'), tx);
    await producer.session.rollback(tx);
    await producer.session.send(queue('q'), msg('plain'));
    expect(consumer.sink.bodies(c)).toEqual(['plain']);
    await expectCode(producer.session.commit(tx), 'NO_SUCH_TRANSACTION');
  });

  it('persistent sends are durable once commit resolves, and not before', async () => {
    const producer = connect(core);
    const tx = producer.session.begin();
    await producer.session.send(queue('q'), msg('uncommitted'), tx);
    const committed = producer.session.begin();
    await producer.session.send(queue('q'), msg('committed'), committed);
    await producer.session.commit(committed);
    const next = await boot();
    const again = connect(next);
    const c = await again.session.subscribe(queue('q'), WINDOW);
    expect(again.sink.bodies(c)).toEqual(['committed']);
  });

  it('check message size at send time, not at commit', async () => {
    const small = await startCore({ maxMessageBytes: 4 });
    cores.push(small);
    const producer = connect(small);
    const tx = producer.session.begin();
    await expectCode(producer.session.send(queue('q'), msg('too large'), tx), 'MESSAGE_TOO_LARGE');
  });
});

describe('transacted settlements', () => {
  it('take effect at commit', async () => {
    const { session, sink } = connect(core);
    for (const b of ['1', '2']) await session.send(queue('q'), msg(b));
    const c = await session.subscribe(queue('q'), WINDOW);
    const tx = session.begin();
    await session.settle(c, sink.of(c)[0]!.id, 'accepted', { tx });
    await session.commit(tx);
    await session.unsubscribe(c);
    const again = await session.subscribe(queue('q'), WINDOW);
    expect(sink.bodies(again)).toEqual(['2']);
    const next = await boot();
    const fresh = connect(next);
    const c3 = await fresh.session.subscribe(queue('q'), WINDOW);
    expect(fresh.sink.bodies(c3)).toEqual(['2']);
  });

  it('are not durable before commit: a crash brings the message back', async () => {
    const { session, sink } = connect(core);
    await session.send(queue('q'), msg('1'));
    const c = await session.subscribe(queue('q'), WINDOW);
    const tx = session.begin();
    await session.settle(c, sink.last(c).id, 'accepted', { tx });
    const next = await boot();
    const fresh = connect(next);
    const c2 = await fresh.session.subscribe(queue('q'), WINDOW);
    expect(fresh.sink.bodies(c2)).toEqual(['1']);
  });

  it('rollback redelivers with redelivered=true and count + 1, and dead-letters after the maximum', async () => {
    const dlqClient = connect(core);
    const dlq = await dlqClient.session.subscribe(queue(DLQ), WINDOW);
    const { session, sink } = connect(core);
    await session.send(queue('q'), msg('m'));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    for (let attempt = 1; attempt <= 7; attempt++) {
      expect(sink.of(c)).toHaveLength(attempt);
      expect(sink.last(c)).toMatchObject({ deliveryCount: attempt, redelivered: attempt > 1 });
      const tx = session.begin();
      await session.settle(c, sink.last(c).id, 'accepted', { tx });
      await session.rollback(tx);
    }
    await flush();
    expect(sink.of(c)).toHaveLength(7);
    expect(dlqClient.sink.bodies(dlq)).toEqual(['m']);
  });

  it('a transaction may consume more messages than the window size', async () => {
    const { session, sink } = connect(core);
    for (let i = 1; i <= 5; i++) await session.send(queue('q'), msg(String(i)));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 2 } });
    const tx = session.begin();
    for (let i = 0; i < 5; i++) await session.settle(c, sink.of(c)[i]!.id, 'accepted', { tx });
    expect(sink.bodies(c)).toEqual(['1', '2', '3', '4', '5']);
    await session.commit(tx);
    await session.send(queue('q'), msg('6'));
    await session.send(queue('q'), msg('7'));
    await session.send(queue('q'), msg('8'));
    expect(sink.bodies(c)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(core.stats().destinations.find((d) => d.name === 'q')).toMatchObject({ depth: 3, inflight: 2, dequeued: 5 });
  });

  it('rollback of a large transaction returns every message in order', async () => {
    const { session, sink } = connect(core);
    for (let i = 1; i <= 5; i++) await session.send(queue('q'), msg(String(i)));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 2 } });
    const tx = session.begin();
    for (let i = 0; i < 5; i++) await session.settle(c, sink.of(c)[i]!.id, 'accepted', { tx });
    await session.rollback(tx);
    expect(sink.bodies(c).slice(5)).toEqual(['1', '2']);
    expect(sink.of(c).slice(5).every((d) => d.redelivered && d.deliveryCount === 2)).toBe(true);
  });

  it('cumulative settlement in a transaction', async () => {
    const { session, sink } = connect(core);
    for (let i = 1; i <= 3; i++) await session.send(queue('q'), msg(String(i)));
    const c = await session.subscribe(queue('q'), WINDOW);
    const tx = session.begin();
    await session.settle(c, sink.of(c)[1]!.id, 'accepted', { tx, cumulative: true });
    await session.rollback(tx);
    expect(sink.bodies(c)).toEqual(['1', '2', '3', '1', '2']);
  });

  it('a send and a receive in one transaction commit together', async () => {
    const { session, sink } = connect(core);
    await session.send(queue('in'), msg('work'));
    const cin = await session.subscribe(queue('in'), WINDOW);
    const cout = await session.subscribe(queue('out'), WINDOW);
    const tx = session.begin();
    await session.settle(cin, sink.last(cin).id, 'accepted', { tx });
    await session.send(queue('out'), msg('result'), tx);
    await session.commit(tx);
    expect(sink.bodies(cout)).toEqual(['result']);
    const next = await boot();
    const fresh = connect(next);
    const in2 = await fresh.session.subscribe(queue('in'), WINDOW);
    const out2 = await fresh.session.subscribe(queue('out'), WINDOW);
    expect(fresh.sink.bodies(in2)).toEqual([]);
    expect(fresh.sink.bodies(out2)).toEqual(['result']);
  });

  it('other outcomes in a transaction apply at commit', async () => {
    const dlqClient = connect(core);
    const dlq = await dlqClient.session.subscribe(queue(DLQ), WINDOW);
    const { session, sink } = connect(core);
    await session.send(queue('q'), msg('poison'));
    const c = await session.subscribe(queue('q'), WINDOW);
    const tx = session.begin();
    await session.settle(c, sink.last(c).id, 'rejected', { tx });
    await flush();
    expect(dlqClient.sink.of(dlq)).toHaveLength(0);
    await session.commit(tx);
    await flush();
    expect(dlqClient.sink.bodies(dlq)).toEqual(['poison']);
  });

  it('independent transactions of one session', async () => {
    const { session, sink } = connect(core);
    const c = await session.subscribe(queue('q'), WINDOW);
    const t1 = session.begin();
    const t2 = session.begin();
    expect(t1).not.toBe(t2);
    await session.send(queue('q'), msg('from-t1'), t1);
    await session.send(queue('q'), msg('from-t2'), t2);
    await session.rollback(t1);
    await session.commit(t2);
    expect(sink.bodies(c)).toEqual(['from-t2']);
  });

  it('NO_SUCH_TRANSACTION for unknown transactions, and the delivery stays unsettled', async () => {
    const { session, sink } = connect(core);
    await session.send(queue('q'), msg('m'));
    const c = await session.subscribe(queue('q'), WINDOW);
    await expectCode(session.commit(42), 'NO_SUCH_TRANSACTION');
    await expectCode(session.rollback(42), 'NO_SUCH_TRANSACTION');
    await expectCode(session.send(queue('q'), msg('x'), 42), 'NO_SUCH_TRANSACTION');
    await expectCode(session.settle(c, sink.last(c).id, 'accepted', { tx: 42 }), 'NO_SUCH_TRANSACTION');
    // The failed transacted settlement did not swallow the delivery.
    await session.settle(c, sink.last(c).id, 'accepted');
    expect(core.stats().destinations.find((d) => d.name === 'q')).toMatchObject({ depth: 0, inflight: 0 });
  });
});

describe('closing with open transactions', () => {
  it('rolls them back: sends dropped, consumed messages back once with count + 1', async () => {
    const { session, sink } = connect(core);
    for (const b of ['1', '2']) await session.send(queue('q'), msg(b));
    const c = await session.subscribe(queue('q'), { flow: { kind: 'window', size: 1 } });
    const tx = session.begin();
    await session.settle(c, sink.last(c).id, 'accepted', { tx });
    expect(sink.bodies(c)).toEqual(['1', '2']);
    await session.send(queue('q'), msg('tx-send'), tx);
    const delivered = sink.deliveries.length;
    await session.close();
    // Nothing is handed to a session that is closing.
    expect(sink.deliveries).toHaveLength(delivered);
    const other = connect(core);
    const c2 = await other.session.subscribe(queue('q'), WINDOW);
    // '1' was consumed in the rolled-back tx (one failed attempt); '2' was unsettled (one more).
    expect(other.sink.of(c2).map((d) => [Buffer.from(d.message.body).toString(), d.deliveryCount, d.redelivered]))
      .toEqual([['1', 2, true], ['2', 2, true]]);
  });

  it('does not hand the rolled-back messages to its own consumers while closing', async () => {
    const { session, sink } = connect(core);
    await session.send(queue('q'), msg('1'));
    const c = await session.subscribe(queue('q'), WINDOW);
    const tx = session.begin();
    await session.settle(c, sink.last(c).id, 'accepted', { tx });
    // The consumer has room now: a rollback dispatching to it would be a delivery to a closing session.
    await session.close();
    expect(sink.deliveries).toHaveLength(1);
    const other = connect(core);
    const c2 = await other.session.subscribe(queue('q'), WINDOW);
    // One failed attempt (the rollback), not two.
    expect(other.sink.of(c2).map((d) => [d.deliveryCount, d.redelivered])).toEqual([[2, true]]);
  });
});

describe('a failing commit', () => {
  it('rejects, and the transaction is rolled back: consumed messages come back', async () => {
    const failing = new FailingStore();
    await boot(failing);
    const { session, sink } = connect(core);
    await session.send(queue('q'), msg('m'));
    const c = await session.subscribe(queue('q'), WINDOW);
    const tx = session.begin();
    await session.settle(c, sink.last(c).id, 'accepted', { tx });
    await session.send(queue('q'), msg('tx-send'), tx);
    failing.fail();
    await expectCode(session.commit(tx), 'STORE_FAILED');
    await flush();
    expect(sink.bodies(c)).toEqual(['m', 'm']);
    expect(sink.last(c)).toMatchObject({ redelivered: true, deliveryCount: 2 });
  });

  it('to a temporary queue deleted meanwhile rejects with TEMP_DESTINATION_GONE and rolls back', async () => {
    const owner = connect(core);
    const tq = owner.session.createTemporary('anycast');
    const { session, sink } = connect(core);
    await session.send(queue('q'), msg('m', { persistent: false }));
    const c = await session.subscribe(queue('q'), WINDOW);
    const tx = session.begin();
    await session.settle(c, sink.last(c).id, 'accepted', { tx });
    await session.send(tq, msg('reply'), tx);
    await owner.session.close();
    await expectCode(session.commit(tx), 'TEMP_DESTINATION_GONE');
    expect(sink.bodies(c)).toEqual(['m', 'm']);
  });
});
