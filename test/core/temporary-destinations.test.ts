import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BrokerCore } from '../../src/core/index.js';
import type { SubscribeOptions } from '../../src/spi/core.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { connect, expectCode, flush, msg, queue, startCore } from './core-fixture.js';
import { bodyText } from './recording-sink.js';

let core: BrokerCore;
let store: MemoryStore;
beforeEach(async () => {
  store = new MemoryStore();
  core = await startCore({}, store);
});
afterEach(async () => { await core.stop(); });

const WINDOW: SubscribeOptions = { flow: { kind: 'window', size: 10 } };

describe('temporary queues and topics', () => {
  it('request/reply: the requester consumes its temporary queue, the responder replies to replyTo', async () => {
    const requester = connect(core);
    const responder = connect(core);
    const replyTo = requester.session.createTemporary('anycast');
    expect(replyTo).toMatchObject({ routing: 'anycast', temporary: true });
    const replies = await requester.session.subscribe(replyTo, WINDOW);
    const requests = await responder.session.subscribe(queue('service'), WINDOW);

    await requester.session.send(queue('service'), msg('ping', { replyTo, correlationId: 'r-1', persistent: false }));
    const request = responder.sink.last(requests);
    expect(request.message.replyTo).toEqual(replyTo);
    await responder.session.send(request.message.replyTo!, msg(`pong to ${bodyText(request)}`, {
      correlationId: request.message.correlationId, persistent: false,
    }));
    await responder.session.settle(requests, request.id, 'accepted');

    expect(requester.sink.bodies(replies)).toEqual(['pong to ping']);
    expect(requester.sink.last(replies).message.correlationId).toBe('r-1');
  });

  it('two temporary destinations have different names', () => {
    const a = connect(core);
    const b = connect(core);
    const names = [a.session.createTemporary('anycast'), a.session.createTemporary('anycast'),
      a.session.createTemporary('multicast'), b.session.createTemporary('anycast')].map((x) => x.name);
    expect(new Set(names).size).toBe(4);
  });

  it('only the owning session may consume: TEMP_DESTINATION_FOREIGN', async () => {
    const owner = connect(core);
    const other = connect(core);
    const tq = owner.session.createTemporary('anycast');
    const tt = owner.session.createTemporary('multicast');
    await expectCode(other.session.subscribe(tq, WINDOW), 'TEMP_DESTINATION_FOREIGN');
    await expectCode(other.session.subscribe(tt, WINDOW), 'TEMP_DESTINATION_FOREIGN');
    // Others may send to it.
    const c = await owner.session.subscribe(tt, WINDOW);
    await other.session.send(tt, msg('hello'));
    expect(owner.sink.bodies(c)).toEqual(['hello']);
  });

  it('deleted when the owner closes: sending then fails with TEMP_DESTINATION_GONE', async () => {
    const owner = connect(core);
    const other = connect(core);
    const tq = owner.session.createTemporary('anycast');
    const tt = owner.session.createTemporary('multicast');
    await other.session.send(tq, msg('before'));
    await owner.session.close();
    await expectCode(other.session.send(tq, msg('after')), 'TEMP_DESTINATION_GONE');
    await expectCode(other.session.send(tt, msg('after')), 'TEMP_DESTINATION_GONE');
    await expectCode(other.session.subscribe(tq, WINDOW), 'TEMP_DESTINATION_GONE');
    expect(core.stats().memoryBytes).toBe(0);
    expect(core.stats().destinations.map((d) => d.name)).not.toContain(tq.name);
  });

  it('deleteTemporary closes its consumers with consumerClosed(TEMP_DESTINATION_GONE)', async () => {
    const owner = connect(core);
    const tq = owner.session.createTemporary('anycast');
    const tt = owner.session.createTemporary('multicast');
    const cq = await owner.session.subscribe(tq, WINDOW);
    const ct = await owner.session.subscribe(tt, WINDOW);
    const plain = await owner.session.subscribe(queue('q'), WINDOW);
    await owner.session.deleteTemporary(tq);
    await owner.session.deleteTemporary(tt);
    expect(owner.sink.consumerCloses.map((x) => [x.consumer, x.reason.code])).toEqual([
      [cq, 'TEMP_DESTINATION_GONE'], [ct, 'TEMP_DESTINATION_GONE'],
    ]);
    // The closed consumers are gone from the session; the other one is not.
    await expectCode(owner.session.settle(cq, 1, 'accepted'), 'NO_SUCH_CONSUMER');
    await owner.session.send(queue('q'), msg('x'));
    expect(owner.sink.bodies(plain)).toEqual(['x']);
    await expectCode(owner.session.deleteTemporary(tq), 'TEMP_DESTINATION_GONE');
    await expectCode(owner.session.send(tq, msg('after')), 'TEMP_DESTINATION_GONE');
  });

  it('deleting a temporary queue releases the memory of messages in it, delivered or not', async () => {
    const owner = connect(core);
    const tq = owner.session.createTemporary('anycast');
    const c = await owner.session.subscribe(tq, { flow: { kind: 'window', size: 1 } });
    await owner.session.send(tq, msg('inflight'));
    await owner.session.send(tq, msg('pending'));
    expect(owner.sink.bodies(c)).toEqual(['inflight']);
    expect(core.stats().memoryBytes).toBeGreaterThan(0);
    await owner.session.deleteTemporary(tq);
    expect(core.stats().memoryBytes).toBe(0);
  });

  it('temporary queues are never written to the store', async () => {
    const owner = connect(core);
    const tq = owner.session.createTemporary('anycast');
    await owner.session.send(tq, msg('persistent-flag-but-temporary'));
    const state = await store.open();
    expect(state.queues.size).toBe(0);
  });
});

describe('temporary destinations and flushing', () => {
  it('a reply in flight when the requester closes is dropped, not stranded', async () => {
    const requester = connect(core);
    const tq = requester.session.createTemporary('anycast');
    await requester.session.subscribe(tq, { flow: { kind: 'credit', initial: 0 } });
    const responder = connect(core);
    await responder.session.send(tq, msg('late'));
    await requester.session.close();
    await flush();
    expect(requester.sink.deliveries).toHaveLength(0);
    expect(core.stats().memoryBytes).toBe(0);
  });
});
