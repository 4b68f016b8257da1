import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BrokerCore } from '../../src/core/index.js';
import { connect, flush, msg, queue, startCore } from './core-fixture.js';

let core: BrokerCore;
beforeEach(async () => { core = await startCore(); });
afterEach(async () => { await core.stop(); });

const window = (size: number) => ({ flow: { kind: 'window' as const, size } });

describe('exclusive consumers', () => {
  it('dispatch to the exclusive consumer alone, and to the next one when it goes', async () => {
    const { session, sink } = connect(core);
    const plain = await session.subscribe(queue('q'), window(100));
    const first = await session.subscribe(queue('q'), { ...window(100), exclusive: true });
    const second = await session.subscribe(queue('q'), { ...window(100), exclusive: true });
    for (let i = 0; i < 6; i++) await session.send(queue('q'), msg(`m${i}`));
    await flush();
    expect([sink.of(plain).length, sink.of(first).length, sink.of(second).length]).toEqual([0, 6, 0]);
    await session.settle(first, sink.of(first)[2]!.id, 'accepted', { cumulative: true });
    await session.unsubscribe(first); // m3..m5 go back, to the next exclusive consumer
    await flush();
    expect(sink.of(second).map((d) => Buffer.from(d.message.body).toString())).toEqual(['m3', 'm4', 'm5']);
    expect(sink.of(plain)).toHaveLength(0);
  });

  it('leave a full exclusive consumer\'s messages waiting rather than give them to others', async () => {
    const { session, sink } = connect(core);
    const owner = await session.subscribe(queue('q'), { ...window(1), exclusive: true });
    const other = await session.subscribe(queue('q'), window(100));
    for (let i = 0; i < 3; i++) await session.send(queue('q'), msg(`m${i}`));
    await flush();
    expect([sink.of(owner).length, sink.of(other).length]).toEqual([1, 0]);
    await session.settle(owner, sink.last(owner).id, 'accepted');
    await flush();
    expect([sink.of(owner).length, sink.of(other).length]).toEqual([2, 0]);
  });
});

describe('consumer priority', () => {
  it('fills higher-priority consumers first and gives lower ones only the overflow', async () => {
    const { session, sink } = connect(core);
    const low = await session.subscribe(queue('q'), { ...window(100), priority: 1 });
    const highA = await session.subscribe(queue('q'), { ...window(2), priority: 9 });
    const highB = await session.subscribe(queue('q'), { ...window(2), priority: 9 });
    for (let i = 0; i < 6; i++) await session.send(queue('q'), msg(`m${i}`));
    await flush();
    expect([sink.of(highA).length, sink.of(highB).length, sink.of(low).length]).toEqual([2, 2, 2]);
    // The high ones alternate (round robin within a priority).
    expect(sink.of(highA).map((d) => Buffer.from(d.message.body).toString())).toEqual(['m0', 'm2']);
  });

  it('round-robins as before when every consumer has the same priority', async () => {
    const { session, sink } = connect(core);
    const a = await session.subscribe(queue('q'), window(100));
    const b = await session.subscribe(queue('q'), window(100));
    for (let i = 0; i < 4; i++) await session.send(queue('q'), msg(`m${i}`));
    await flush();
    expect([sink.of(a).length, sink.of(b).length]).toEqual([2, 2]);
  });
});
