import { randomBytes } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import type { ListenerSet } from '../../protocols/transports/index.js';
import type { TransportConnection } from '../../src/spi/index.js';
import { EchoAdapter } from '../helpers/echo-adapter.js';
import { closed, connectSocket, open, portOf, readBytes, waitFor } from './transport-fixture.js';

let set: ListenerSet | undefined;
afterEach(async () => {
  await set?.close();
  set = undefined;
});

describe.each(['tcp', 'tls'] as const)('%s listener', (transport) => {
  it('carries bytes both ways and describes the connection', async () => {
    const adapter = new EchoAdapter();
    set = await open([{ name: 'l', transport, adapters: [adapter] }]);
    const client = await connectSocket(transport, portOf(set, 'l'));
    const payload = randomBytes(256 * 1024); // several chunks, past the write high-water mark
    client.write(payload);
    expect((await readBytes(client, payload.length)).equals(payload)).toBe(true);

    const [conn] = adapter.accepted;
    expect(conn!.transport).toBe(transport);
    expect(conn!.remoteAddress).toBe(`127.0.0.1:${client.localPort}`);
    expect(conn!.subprotocol).toBeUndefined();

    client.end();
    await waitFor(() => adapter.open.size === 0);
  });

  it('end() flushes what was written, then closes', async () => {
    const payload = randomBytes(100_000);
    const adapter = new EchoAdapter({
      reply: (_chunk, c) => {
        c.write(payload);
        c.end();
        return undefined;
      },
    });
    set = await open([{ name: 'l', transport, adapters: [adapter] }]);
    const client = await connectSocket(transport, portOf(set, 'l'));
    const gone = closed(client);
    client.write('go');
    expect((await readBytes(client, payload.length)).equals(payload)).toBe(true);
    await gone;
  });

  it('write() returns false above the high-water mark and onDrain fires once it is flushed', async () => {
    const adapter = new EchoAdapter({ reply: () => undefined });
    set = await open([{ name: 'l', transport, adapters: [adapter] }], { writeHighWaterMarkBytes: 64 * 1024 });
    const client = await connectSocket(transport, portOf(set, 'l'));
    client.pause();
    await waitFor(() => adapter.accepted.length === 1);
    const server: TransportConnection = adapter.accepted[0]!;
    let drained = 0;
    server.onDrain(() => drained++);

    const chunk = Buffer.alloc(16 * 1024, 7);
    let written = 0;
    while (server.write(chunk)) {
      written += chunk.length;
      if (written > 64 * 1024 * 1024) throw new Error('write() never reported a full buffer');
    }
    written += chunk.length;
    expect(server.bufferedBytes).toBeGreaterThanOrEqual(64 * 1024);

    client.resume();
    await readBytes(client, written);
    await waitFor(() => drained === 1);
    expect(server.bufferedBytes).toBe(0);
  });

  it('pause() stops data until resume()', async () => {
    const adapter = new EchoAdapter();
    set = await open([{ name: 'l', transport, adapters: [adapter] }]);
    const client = await connectSocket(transport, portOf(set, 'l'));
    await waitFor(() => adapter.accepted.length === 1);
    const server = adapter.accepted[0]!;
    server.pause();
    let echoed = 0;
    client.on('data', (d: Buffer) => (echoed += d.length));
    client.write('abc');
    await new Promise((r) => setTimeout(r, 100));
    expect(echoed).toBe(0);
    server.resume();
    await waitFor(() => echoed === 3);
  });

  it('onClose reports the peer going away, once; destroy() closes at once', async () => {
    const adapter = new EchoAdapter();
    set = await open([{ name: 'l', transport, adapters: [adapter] }]);
    const first = await connectSocket(transport, portOf(set, 'l'));
    await waitFor(() => adapter.accepted.length === 1);
    const closes: Array<Error | undefined> = [];
    adapter.accepted[0]!.onClose((e) => closes.push(e));
    first.destroy();
    await waitFor(() => closes.length === 1);

    const second = await connectSocket(transport, portOf(set, 'l'));
    await waitFor(() => adapter.accepted.length === 2);
    const gone = closed(second);
    adapter.accepted[1]!.destroy();
    await gone;
    expect(closes).toHaveLength(1);
    expect(adapter.accepted[1]!.write('late')).toBe(false);
  });
});

describe('TLS', () => {
  it('refuses a client that does not trust the certificate', async () => {
    set = await open([{ name: 'l', transport: 'tls', adapters: [new EchoAdapter()] }]);
    const error = await new Promise<Error>((resolve) => {
      tlsConnect({ host: '127.0.0.1', port: portOf(set!, 'l'), servername: 'localhost' }).once('error', resolve);
    });
    expect(error.message).toMatch(/self[- ]signed/i);
  });
});

describe('listener set', () => {
  it('closes the excess connection at once over maxConnections, across listeners', async () => {
    const adapter = new EchoAdapter();
    set = await open(
      [{ name: 'a', transport: 'tcp', adapters: [adapter] }, { name: 'b', transport: 'tls', adapters: [adapter] }],
      { maxConnections: 2 },
    );
    const one = await connectSocket('tcp', portOf(set, 'a'));
    await connectSocket('tls', portOf(set, 'b'));
    await waitFor(() => set!.connectionCount === 2);

    const third = netConnect({ host: '127.0.0.1', port: portOf(set, 'a') });
    third.on('error', () => {});
    await closed(third);
    expect(adapter.accepted).toHaveLength(2);

    one.destroy();
    await waitFor(() => set!.connectionCount === 1);
    const again = await connectSocket('tcp', portOf(set, 'a'));
    again.write('x');
    expect((await readBytes(again, 1)).toString()).toBe('x');
  });

  it('close() stops accepting, then destroys connections left after the grace period', async () => {
    const adapter = new EchoAdapter();
    set = await open([{ name: 'l', transport: 'tcp', adapters: [adapter] }], { closeGraceMs: 300 });
    const port = portOf(set, 'l');
    const client = await connectSocket('tcp', port);
    const gone = closed(client);
    const closing = set.close();
    const refused = await new Promise<Error>((resolve) => netConnect({ host: '127.0.0.1', port }).once('error', resolve));
    expect((refused as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    await closing;
    await gone;
  });

  it('fails to open with a clear error when the port is taken, closing what it opened', async () => {
    set = await open([{ name: 'first', transport: 'tcp', adapters: [new EchoAdapter()] }]);
    const taken = portOf(set, 'first');
    const attempt = open([
      { name: 'ok', transport: 'tcp', adapters: [new EchoAdapter()] },
      { name: 'clash', transport: 'tcp', adapters: [new EchoAdapter()], port: taken },
    ]);
    await expect(attempt).rejects.toThrow(`cannot open the clash listener on 127.0.0.1:${taken}`);
  });
});
