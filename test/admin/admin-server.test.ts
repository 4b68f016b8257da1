import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startAdminServer, type AdminServer } from '../../src/admin/admin-server.js';
import type { BrokerView } from '../../src/admin/broker-view.js';
import type { CoreStats } from '../../src/core/broker-core.js';
import type { StoreHealth } from '../../src/store/store.js';

const stats: CoreStats = {
  sessions: 2,
  memoryBytes: 1234,
  destinations: [
    { name: 'orders', routing: 'anycast', kind: 'queue', depth: 5, inflight: 1, consumers: 1, enqueued: 9, dequeued: 4 },
    { name: 'we"ird\\name', routing: 'multicast', kind: 'topic', depth: 0, inflight: 0, consumers: 0, enqueued: 0, dequeued: 0 },
  ],
};

function fakeView(): BrokerView & { serving: boolean; health: StoreHealth } {
  const view = {
    serving: true,
    health: { ok: true, usedBytes: 77, full: false } as StoreHealth,
    adapters: [{ name: 'stomp', connectionCount: 3 }, { name: 'mqtt', connectionCount: 0 }],
  } as BrokerView & { serving: boolean; health: StoreHealth };
  return view;
}

function attach(view: BrokerView & { serving: boolean; health: StoreHealth }): void {
  view.core = { get serving() { return view.serving; }, stats: () => stats };
  view.store = { health: () => view.health };
}

let admin: AdminServer | undefined;
afterEach(async () => {
  await admin?.close();
  admin = undefined;
});

async function start(view: BrokerView): Promise<AdminServer> {
  admin = await startAdminServer({ host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), view: () => view });
  return admin;
}

describe('admin server', () => {
  it('reports the URL with the bound port', async () => {
    const a = await start(fakeView());
    expect(a.port).toBeGreaterThan(0);
    expect(a.url).toBe(`http://127.0.0.1:${a.port}`);
  });

  it('GET /healthz is 200 while the process is up, even while starting', async () => {
    const a = await start(fakeView());
    const res = await fetch(`${a.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'up' });
  });

  it('GET /readyz follows the core and the store, with a JSON reason', async () => {
    const view = fakeView();
    const a = await start(view);
    const ready = async () => {
      const res = await fetch(`${a.url}/readyz`);
      return { status: res.status, body: await res.json() };
    };
    expect(await ready()).toEqual({ status: 503, body: { ready: false, reason: 'starting' } });
    attach(view);
    expect(await ready()).toEqual({ status: 200, body: { ready: true } });
    view.health = { ok: false, error: 'EIO: disk gone', usedBytes: 0, full: false };
    expect(await ready()).toEqual({ status: 503, body: { ready: false, reason: 'store failed: EIO: disk gone' } });
    view.health = { ok: true, usedBytes: 0, full: false };
    view.serving = false;
    expect(await ready()).toEqual({ status: 503, body: { ready: false, reason: 'core is not serving (stopping)' } });
  });

  it('GET /api/destinations returns the core statistics as JSON', async () => {
    const view = fakeView();
    const a = await start(view);
    expect((await fetch(`${a.url}/api/destinations`)).status).toBe(503);
    attach(view);
    const res = await fetch(`${a.url}/api/destinations`);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual(stats);
  });

  it('GET /metrics returns Prometheus text', async () => {
    const view = fakeView();
    attach(view);
    const a = await start(view);
    const res = await fetch(`${a.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const lines = text.split('\n');
    for (const expected of [
      '# TYPE wharf_connections gauge',
      'wharf_connections{protocol="stomp"} 3',
      'wharf_connections{protocol="mqtt"} 0',
      'wharf_ready 1',
      'wharf_sessions 2',
      'wharf_memory_bytes 1234',
      'wharf_store_used_bytes 77',
      'wharf_destination_depth{destination="orders",routing="anycast",kind="queue"} 5',
      'wharf_destination_inflight{destination="orders",routing="anycast",kind="queue"} 1',
      'wharf_destination_consumers{destination="orders",routing="anycast",kind="queue"} 1',
      '# TYPE wharf_destination_enqueued_total counter',
      'wharf_destination_enqueued_total{destination="orders",routing="anycast",kind="queue"} 9',
      'wharf_destination_dequeued_total{destination="orders",routing="anycast",kind="queue"} 4',
      'wharf_destination_depth{destination="we\\"ird\\\\name",routing="multicast",kind="topic"} 0',
    ]) expect(lines).toContain(expected);
    expect(text.endsWith('\n')).toBe(true);
    // A store without write counters (the memory store) shows none.
    expect(text).not.toMatch(/wharf_store_commits_total/);
  });

  it('GET /metrics shows the store\'s write counters when it keeps them', async () => {
    const view = fakeView();
    attach(view);
    view.store = { health: () => view.health, stats: () => ({ commits: 12, syncs: 3, bytesWritten: 4096 }) };
    const lines = (await (await fetch(`${(await start(view)).url}/metrics`)).text()).split('\n');
    for (const expected of [
      '# TYPE wharf_store_commits_total counter',
      'wharf_store_commits_total 12',
      'wharf_store_syncs_total 3',
      'wharf_store_bytes_written_total 4096',
    ]) expect(lines).toContain(expected);
  });

  it('answers unknown paths with 404 and other methods with 405', async () => {
    const a = await start(fakeView());
    expect((await fetch(`${a.url}/nope`)).status).toBe(404);
    expect((await fetch(`${a.url}/healthz`, { method: 'POST' })).status).toBe(405);
    const head = await fetch(`${a.url}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('fails to start with a clear error when the port is taken', async () => {
    const a = await start(fakeView());
    await expect(startAdminServer({ host: '127.0.0.1', port: a.port, logger: pino({ level: 'silent' }), view: fakeView }))
      .rejects.toThrow(`cannot open the admin listener on 127.0.0.1:${a.port}`);
  });
});
