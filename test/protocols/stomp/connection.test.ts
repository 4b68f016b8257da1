import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { FrameDecoder } from '../../../protocols/stomp/codec/frame-decoder.js';
import type { RawFrame } from '../../../protocols/stomp/codec/frame.js';
import { STOMP_DEFAULTS, type StompConfig } from '../../../protocols/stomp/config.js';
import { StompConnection, nextState } from '../../../protocols/stomp/connection.js';
import { BrokerError, type Core, type CoreSession, type DeliverySink, type OutgoingMessage, type TransportConnection } from '../../../src/spi/index.js';

/**
 * The connection against a scripted transport and core: what a real broker cannot be made to do on
 * demand (sends that stay unconfirmed, a full socket, a core that fails oddly).
 */
class ScriptedTransport implements TransportConnection {
  readonly transport = 'tcp' as const;
  readonly remoteAddress = '127.0.0.1:1';
  readonly bufferedBytes = 0;
  writeResult = true;
  paused = false;
  ended = false;
  private readonly decoder = new FrameDecoder({ maxFrameBytes: 1 << 20, maxHeaderBytes: 1 << 16, maxHeaders: 100 });
  readonly frames: RawFrame[] = [];
  private data: ((chunk: Buffer) => void) | undefined;
  private drain: (() => void) | undefined;
  private closeListener: (() => void) | undefined;

  write(data: Uint8Array | string): boolean {
    this.frames.push(...this.decoder.push(Buffer.from(data)).frames);
    return this.writeResult;
  }
  onData(listener: (chunk: Buffer) => void): void {
    this.data = listener;
  }
  onDrain(listener: () => void): void {
    this.drain = listener;
  }
  onClose(listener: () => void): void {
    this.closeListener = listener;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  end(): void {
    this.ended = true;
    setImmediate(() => this.closeListener?.());
  }
  destroy(): void {
    this.end();
  }
  receive(text: string): void {
    this.data!(Buffer.from(text));
  }
  drained(): void {
    this.writeResult = true;
    this.drain!();
  }
  commands(): string[] {
    return this.frames.map((f) => f.command);
  }
}

interface Scripted {
  core: Core;
  session: CoreSession;
  sink: () => DeliverySink;
  /** Resolvers of the sends the core has not confirmed yet. */
  pendingSends: Array<() => void>;
}

function scriptedCore(overrides: Partial<Core> = {}): Scripted {
  const pendingSends: Array<() => void> = [];
  let sink: DeliverySink | undefined;
  const session = {
    id: 'session-1',
    clientId: undefined,
    send: vi.fn((_to, _m: OutgoingMessage) => new Promise<void>((resolve) => pendingSends.push(resolve))),
    setWritable: vi.fn(),
    begin: () => 1,
    close: vi.fn(async () => undefined),
  } as unknown as CoreSession;
  const core: Core = {
    brokerName: 'scripted',
    serving: true,
    state: {} as Core['state'],
    authenticate: async () => ({ name: 'anonymous', anonymous: true }),
    openSession: (_o, s) => {
      sink = s;
      return session;
    },
    ...overrides,
  };
  return { core, session, sink: () => sink!, pendingSends };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));
const quiet = pino({ level: 'silent' });

function open(scripted: Scripted, config: Partial<StompConfig> = {}) {
  const transport = new ScriptedTransport();
  const connection = new StompConnection(transport, { core: scripted.core, config: { ...STOMP_DEFAULTS, ...config }, log: quiet });
  return { transport, connection };
}

describe('StompConnection', () => {
  it('pauses reading at maxPendingSends unconfirmed sends and answers RECEIPTs only once confirmed', async () => {
    const scripted = scriptedCore();
    const { transport } = open(scripted, { maxPendingSends: 3 });
    transport.receive('CONNECT\naccept-version:1.2\n\n\0');
    await flush();
    for (let i = 0; i < 3; i++) transport.receive(`SEND\ndestination:/queue/a\nreceipt:${i}\n\nx\0`);
    await flush();
    expect(scripted.pendingSends).toHaveLength(3);
    expect(transport.paused).toBe(true);
    expect(transport.commands()).toEqual(['CONNECTED']);
    scripted.pendingSends[1]!();
    await flush();
    expect(transport.paused).toBe(false);
    expect(transport.frames.at(-1)!.headers).toEqual([['receipt-id', '1']]);
  });

  it('tells the core to stop delivering while the socket is full, and to resume on drain', async () => {
    const scripted = scriptedCore();
    const { transport } = open(scripted);
    transport.receive('CONNECT\naccept-version:1.2\n\n\0');
    await flush();
    transport.writeResult = false;
    transport.receive('SEND\ndestination:/queue/a\n\nx\0');
    scripted.pendingSends[0]!();
    transport.receive('BEGIN\ntransaction:t\nreceipt:b\n\n\0');
    await flush();
    expect(scripted.session.setWritable).toHaveBeenLastCalledWith(false);
    transport.drained();
    expect(scripted.session.setWritable).toHaveBeenLastCalledWith(true);
  });

  it('turns a non-BrokerError failure of the core into a generic ERROR without its text', async () => {
    const scripted = scriptedCore({ authenticate: () => Promise.reject('secret internals') });
    const { transport, connection } = open(scripted);
    transport.receive('CONNECT\naccept-version:1.2\nlogin:a\npasscode:b\n\n\0');
    await connection.closed;
    const error = transport.frames[0]!;
    expect(error.command).toBe('ERROR');
    expect(error.headers).toContainEqual(['message', 'Internal error']);
    expect(error.body.toString()).not.toContain('secret');
  });

  it('survives a sink call for a consumer it does not know and a sessionClosed from the core', async () => {
    const scripted = scriptedCore();
    const { transport, connection } = open(scripted);
    transport.receive('CONNECT\naccept-version:1.2\n\n\0');
    await flush();
    expect(() => scripted.sink().deliver({ id: 1, consumerId: 99, deliveryCount: 1, redelivered: false } as never)).not.toThrow();
    scripted.sink().sessionClosed(new BrokerError('SHUTDOWN'));
    await connection.closed;
    expect(transport.commands()).toEqual(['CONNECTED', 'ERROR']);
    expect(transport.frames[1]!.headers).toContainEqual(['message', 'Broker shutting down']);
  });

  it('closes the session when the transport goes away', async () => {
    const scripted = scriptedCore();
    const { transport, connection } = open(scripted);
    transport.receive('CONNECT\naccept-version:1.2\n\n\0');
    await flush();
    transport.destroy();
    await connection.closed;
    expect(scripted.session.close).toHaveBeenCalledTimes(1);
  });
});

describe('nextState', () => {
  it('walks the lifecycle and ends in closed', () => {
    expect(nextState('awaiting-connect', 'session-opened')).toBe('connected');
    expect(nextState('awaiting-connect', 'failed')).toBe('closing');
    expect(nextState('connected', 'disconnected')).toBe('closing');
    expect(nextState('closing', 'failed')).toBe('closing');
    expect(nextState('closing', 'transport-closed')).toBe('closed');
    expect(nextState('closed', 'failed')).toBe('closed');
    expect(() => nextState('connected', 'session-opened')).toThrow();
  });
});
