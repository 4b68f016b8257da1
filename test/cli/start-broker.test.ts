import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openListeners } from '../../protocols/transports/index.js';
import type { BrokerRegistry } from '../../src/broker.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { EchoAdapter } from '../helpers/echo-adapter.js';

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
});

/** A registry whose `stomp` is an echo adapter: tests the composition, not a protocol. */
function echoRegistry(): { registry: BrokerRegistry; adapter: EchoAdapter; closed: () => number } {
  const adapter = new EchoAdapter({ name: 'stomp', webSocketProtocols: ['v12.stomp'] });
  let closes = 0;
  const close = adapter.close.bind(adapter);
  adapter.close = async () => {
    closes++;
    await close();
  };
  return { registry: { adapters: { stomp: () => adapter }, openListeners }, adapter, closed: () => closes };
}

function roundTrip(socket: NodeJS.ReadWriteStream, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once('data', (d: Buffer) => resolve(d.toString()));
    socket.once('error', reject);
    socket.write(text);
  });
}

describe('startBroker', () => {
  it('opens every listener of the registered adapters on its actual port and serves them', async () => {
    const { registry, adapter } = echoRegistry();
    broker = await startTestBroker({}, registry);
    const { stomp } = broker.ports;
    expect(Object.keys(broker.ports)).toEqual(['stomp']);
    for (const t of ['tcp', 'tls', 'ws', 'wss'] as const) expect(stomp![t]).toBeGreaterThan(0);

    const tcp = netConnect({ host: '127.0.0.1', port: stomp!.tcp! });
    expect(await roundTrip(tcp, 'over tcp')).toBe('over tcp');
    const tls = tlsConnect({ host: '127.0.0.1', port: stomp!.tls!, ca: broker.tlsCa, servername: 'localhost' });
    expect(await roundTrip(tls, 'over tls')).toBe('over tls');
    const wss = new WebSocket(`wss://127.0.0.1:${stomp!.wss}/`, ['v12.stomp'], { ca: broker.tlsCa });
    await new Promise((r) => wss.once('open', r));
    const echoed = new Promise<string>((r) => wss.once('message', (d: Buffer) => r(d.toString())));
    wss.send('over wss');
    expect(await echoed).toBe('over wss');
    expect(adapter.connectionCount).toBe(3);

    const metrics = await (await fetch(`${broker.adminUrl}/metrics`)).text();
    expect(metrics).toContain('wharf_connections{protocol="stomp"} 3');
    tcp.destroy();
    tls.destroy();
    wss.close();
  });

  it('is ready once started, and serves the real core statistics', async () => {
    const { registry } = echoRegistry();
    broker = await startTestBroker({ brokerName: 'b-test' }, registry);
    expect(broker.core.brokerName).toBe('b-test');
    expect(broker.core.serving).toBe(true);
    const ready = await fetch(`${broker.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    const stats = (await (await fetch(`${broker.adminUrl}/api/destinations`)).json()) as { sessions: number; destinations: unknown[] };
    expect(stats).toMatchObject({ sessions: 0, destinations: [] });
  });

  it('honours disabled listeners and the connection limit', async () => {
    const { registry, adapter } = echoRegistry();
    broker = await startTestBroker({ stomp: { tls: { enabled: false } }, wss: { enabled: false }, limits: { maxConnections: 1 } }, registry);
    expect(broker.ports.stomp).toEqual({ tcp: expect.any(Number), ws: expect.any(Number) });
    expect(broker.tlsCa).toBe('');
    const first = netConnect({ host: '127.0.0.1', port: broker.ports.stomp!.tcp! });
    expect(await roundTrip(first, 'x')).toBe('x');
    const second = netConnect({ host: '127.0.0.1', port: broker.ports.stomp!.tcp! });
    second.on('error', () => {});
    await new Promise((r) => second.once('close', r));
    expect(adapter.accepted).toHaveLength(1);
    first.destroy();
  });

  it('stops gracefully: listeners closed, adapters closed, core stopped, admin gone', async () => {
    const { registry, closed } = echoRegistry();
    broker = await startTestBroker({}, registry);
    const { ports, adminUrl, core } = broker;
    const client = netConnect({ host: '127.0.0.1', port: ports.stomp!.tcp! });
    await roundTrip(client, 'hi');
    const clientGone = new Promise((r) => client.once('close', r));
    const stopping = broker;
    broker = undefined;
    await stopping.stop();
    await clientGone;
    expect(closed()).toBe(1);
    expect(core.serving).toBe(false);
    await expect(fetch(`${adminUrl}/healthz`)).rejects.toThrow();
    const refused = await new Promise<NodeJS.ErrnoException>((r) => netConnect({ host: '127.0.0.1', port: ports.stomp!.tcp! }).once('error', r));
    expect(refused.code).toBe('ECONNREFUSED');
    await stopping.stop(); // idempotent
  });

  it('fails to start with a clear error, undoing what it started', async () => {
    const { registry } = echoRegistry();
    broker = await startTestBroker({}, registry);
    const taken = broker.ports.stomp!.tcp!;
    const second = echoRegistry();
    const attempt = startTestBroker({ stomp: { tcp: { port: taken } } }, second.registry);
    await expect(attempt).rejects.toThrow(`cannot open the stomp-tcp listener on 127.0.0.1:${taken}`);
    expect(second.closed()).toBe(1);
  });

  it('with the real registry serves STOMP on TCP, TLS, WS and WSS', async () => {
    broker = await startTestBroker();
    const { stomp } = broker.ports;
    const frame = 'CONNECT\naccept-version:1.2\nhost:localhost\n\n\0';
    const tcp = netConnect({ host: '127.0.0.1', port: stomp!.tcp! });
    expect(await roundTrip(tcp, frame)).toMatch(/^CONNECTED\n/);
    const tls = tlsConnect({ host: '127.0.0.1', port: stomp!.tls!, ca: broker.tlsCa, servername: 'localhost' });
    expect(await roundTrip(tls, frame)).toMatch(/^CONNECTED\n/);
    for (const scheme of ['ws', 'wss'] as const) {
      const ws = new WebSocket(`${scheme}://127.0.0.1:${stomp![scheme]}/`, ['v10.stomp', 'v11.stomp', 'v12.stomp'], { ca: broker.tlsCa });
      await new Promise((r) => ws.once('open', r));
      expect(ws.protocol).toBe('v12.stomp');
      const reply = new Promise<string>((r) => ws.once('message', (d: Buffer) => r(d.toString())));
      ws.send(frame);
      expect(await reply).toMatch(/^CONNECTED\n/);
      ws.close();
    }
    tcp.destroy();
    tls.destroy();
  });
});
