import { mkdtemp, rm } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { openListeners, type ListenerSet, type ListenerSpec, type TransportOptions } from '../../protocols/transports/index.js';
import { loadTlsMaterial, type TlsMaterial } from '../../src/config/tls-material.js';

export const silent = pino({ level: 'silent' });

let tlsMaterial: Promise<TlsMaterial> | undefined;

/** One self-signed certificate per test file, made in a temp dir that is removed at once. */
export function testTls(): Promise<TlsMaterial> {
  tlsMaterial ??= (async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'wharf-tls-'));
    try {
      return await loadTlsMaterial({ dataDir, tls: { certFile: null, keyFile: null } }, silent);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  })();
  return tlsMaterial;
}

export async function open(specs: Array<Omit<ListenerSpec, 'host' | 'port' | 'name'> & { name?: string; port?: number }>, options: Partial<TransportOptions> = {}): Promise<ListenerSet> {
  const tls = await testTls();
  return openListeners(
    specs.map((s, i) => ({ name: s.name ?? `${s.transport}-${i}`, host: '127.0.0.1', port: 0, ...s })),
    {
      logger: silent,
      maxConnections: 100,
      writeHighWaterMarkBytes: 64 * 1024,
      maxWebSocketMessageBytes: 1024 * 1024,
      tls: { cert: tls.cert, key: tls.key },
      closeGraceMs: 100,
      ...options,
    },
  );
}

export function portOf(set: ListenerSet, name: string): number {
  const l = set.listeners.find((x) => x.name === name);
  if (!l) throw new Error(`no listener ${name}`);
  return l.port;
}

/** A connected TCP or TLS client socket. */
export async function connectSocket(transport: 'tcp' | 'tls', port: number): Promise<Socket> {
  const ca = (await testTls()).cert;
  return new Promise((resolve, reject) => {
    const socket = transport === 'tcp'
      ? netConnect({ host: '127.0.0.1', port }, () => resolve(socket))
      : tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Reads from a socket until `bytes` have arrived. */
export function readBytes(socket: Socket, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (c: Buffer): void => {
      chunks.push(c);
      total += c.length;
      if (total >= bytes) {
        socket.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

export function closed(socket: Socket | WebSocket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

export async function connectWebSocket(transport: 'ws' | 'wss', port: number, protocols?: string | string[]): Promise<WebSocket> {
  const ca = (await testTls()).cert;
  const ws = new WebSocket(`${transport}://127.0.0.1:${port}/`, protocols, { ca });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

export function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })));
}

export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
