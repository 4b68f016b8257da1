import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BrokerCore } from '../../src/core/index.js';
import { connect, expectCode, msg, queue, startCore, topic } from './core-fixture.js';

let core: BrokerCore;
beforeEach(async () => { core = await startCore(); });
afterEach(async () => { await core.stop(); });

describe('client ids', () => {
  it("'reject': a second session with the same client id gets CLIENT_ID_IN_USE; the first is untouched", async () => {
    const first = connect(core, { clientId: 'app', clientIdPolicy: 'reject' });
    await expectCode(() => connect(core, { clientId: 'app', clientIdPolicy: 'reject' }), 'CLIENT_ID_IN_USE');
    // 'reject' is the default.
    await expectCode(() => connect(core, { clientId: 'app' }), 'CLIENT_ID_IN_USE');
    expect(first.sink.sessionCloses).toHaveLength(0);
    await first.session.send(queue('q'), msg('still works'));
    // Other client ids and sessions without one are fine.
    connect(core, { clientId: 'other' });
    connect(core);
    connect(core);
  });

  it('the client id is free again once its session closed', async () => {
    const first = connect(core, { clientId: 'app' });
    await first.session.close();
    const second = connect(core, { clientId: 'app' });
    expect(second.session.clientId).toBe('app');
  });

  it("'takeover' closes the old session with TAKEOVER and the new one works", async () => {
    const old = connect(core, { clientId: 'dev-1', clientIdPolicy: 'takeover' });
    const oc = await old.session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    await old.session.send(queue('q'), msg('inflight'));
    expect(old.sink.bodies(oc)).toEqual(['inflight']);

    const fresh = connect(core, { clientId: 'dev-1', clientIdPolicy: 'takeover' });
    expect(old.sink.sessionCloses.map((e) => e.code)).toEqual(['TAKEOVER']);
    expect(fresh.sink.sessionCloses).toHaveLength(0);
    await expectCode(old.session.send(queue('q'), msg('x')), 'SESSION_CLOSED');
    // The old session's unsettled message went back and reaches the new session.
    const fc = await fresh.session.subscribe(queue('q'), { flow: { kind: 'window', size: 10 } });
    expect(fresh.sink.of(fc).map((d) => [d.deliveryCount, d.redelivered])).toEqual([[2, true]]);
    // A third takeover closes the second one, and only it.
    connect(core, { clientId: 'dev-1', clientIdPolicy: 'takeover' });
    expect(fresh.sink.sessionCloses.map((e) => e.code)).toEqual(['TAKEOVER']);
    expect(old.sink.sessionCloses).toHaveLength(1);
  });

  it('takeover frees the durable subscription for the new session', async () => {
    const old = connect(core, { clientId: 'dev-1', clientIdPolicy: 'takeover' });
    await old.session.subscribe(topic('t'), { flow: { kind: 'window', size: 10 }, durableName: 'sub' });
    const fresh = connect(core, { clientId: 'dev-1', clientIdPolicy: 'takeover' });
    const c = await fresh.session.subscribe(topic('t'), { flow: { kind: 'window', size: 10 }, durableName: 'sub' });
    await fresh.session.send(topic('t'), msg('x'));
    expect(fresh.sink.bodies(c)).toEqual(['x']);
  });

  it('stop() closes every session with SHUTDOWN and refuses new ones', async () => {
    const a = connect(core);
    await core.stop();
    expect(a.sink.sessionCloses.map((e) => e.code)).toEqual(['SHUTDOWN']);
    expect(core.serving).toBe(false);
    await expectCode(() => connect(core), 'SHUTDOWN');
  });
});
