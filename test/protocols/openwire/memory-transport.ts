import { pino, type Logger } from 'pino';
import { Writable } from 'node:stream';
import type { TransportConnection } from '../../../src/spi/index.js';
import { startCore } from '../../core/core-fixture.js';
import type { BrokerCore } from '../../../src/core/index.js';
import type { Command } from '../../../protocols/openwire/codec/commands.js';
import { FrameSplitter } from '../../../protocols/openwire/codec/frame-splitter.js';
import { LOOSE_V12, OpenWireFormat } from '../../../protocols/openwire/codec/open-wire-format.js';
import { createOpenWireAdapter } from '../../../protocols/openwire/index.js';
import type { ProtocolAdapter } from '../../../src/spi/index.js';
import { T } from '../../../protocols/openwire/codec/type-codes.js';
import { hexBytes, type VectorFrame } from './vectors.js';

/** A TransportConnection in memory: the test feeds bytes in and reads what the adapter wrote. */
export class MemoryTransport implements TransportConnection {
  readonly transport = 'tcp' as const;
  readonly remoteAddress = 'memory';
  readonly written: Buffer[] = [];
  closed = false;
  destroyed = false;
  private dataListener: ((chunk: Buffer) => void) | undefined;
  private readonly closeListeners: Array<(e?: Error) => void> = [];

  get bufferedBytes(): number {
    return 0;
  }

  write(data: Uint8Array | string): boolean {
    if (!this.closed) this.written.push(Buffer.from(data));
    return true;
  }

  onData(listener: (chunk: Buffer) => void): void {
    this.dataListener = listener;
  }

  onDrain(): void {}

  onClose(listener: (error?: Error) => void): void {
    this.closeListeners.push(listener);
  }

  pause(): void {}
  resume(): void {}

  end(): void {
    this.close();
  }

  destroy(): void {
    this.destroyed = true;
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.closeListeners) queueMicrotask(() => l());
  }

  /** Feeds bytes to the adapter in chunks of `chunk` bytes. */
  feed(bytes: Buffer, chunk = bytes.length): void {
    for (let i = 0; i < bytes.length && !this.closed; i += Math.max(1, chunk)) this.dataListener?.(bytes.subarray(i, i + chunk));
  }

  /** Everything the adapter wrote, as decoded frames (the first is its loose WireFormatInfo). */
  frames(format = new OpenWireFormat(LOOSE_V12)): Command[] {
    const splitter = new FrameSplitter(1 << 30);
    return splitter.push(Buffer.concat(this.written)).map((f) => format.decode(f) as Command);
  }
}

export interface Harness {
  core: BrokerCore;
  adapter: ProtocolAdapter;
  /** Log lines at error level or above (an adapter must not produce any for bad input). */
  errors: string[];
  connect(): MemoryTransport;
  stop(): Promise<void>;
}

/** A real core (memory store) and an OpenWire adapter, without sockets. */
export async function startHarness(config: Record<string, unknown> = {}): Promise<Harness> {
  const core = await startCore();
  const errors: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      errors.push(chunk.toString());
      done();
    },
  });
  const logger: Logger = pino({ level: 'error' }, sink);
  const adapter = createOpenWireAdapter({ core, logger, config });
  return {
    core,
    adapter,
    errors,
    connect() {
      const t = new MemoryTransport();
      adapter.accept(t);
      return t;
    },
    async stop() {
      await adapter.close();
      await core.stop();
    },
  };
}

export const flushIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Feeds captured client frames as the client wrote them: after each request, nothing more until
 * its answer (a sync send waits for the store), in chunks of `chunk` bytes.
 */
export async function feedLikeAClient(t: MemoryTransport, frames: VectorFrame[], chunk = 1 << 30): Promise<void> {
  let pending: Buffer[] = [];
  const push = async (): Promise<void> => {
    const bytes = Buffer.concat(pending);
    pending = [];
    for (let i = 0; i < bytes.length; i += chunk) {
      t.feed(bytes.subarray(i, i + chunk));
      if (chunk < bytes.length) await flushIo();
    }
  };
  for (const f of frames) {
    pending.push(hexBytes(f.hex));
    if (f.java.decoded.responseRequired !== true) continue;
    await push();
    const id = f.java.decoded.commandId as number;
    for (let i = 0; i < 200 && !t.frames().some((r) => answers(r, id)); i++) await new Promise((r) => setTimeout(r, 5));
  }
  await push();
}

export function answers(frame: Command, commandId: number): boolean {
  return frame.typeCode >= T.RESPONSE && frame.typeCode <= T.INTEGER_RESPONSE && (frame as { correlationId?: number }).correlationId === commandId;
}
