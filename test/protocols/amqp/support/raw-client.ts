import { connect as netConnect, type Socket } from 'node:net';
import { describedList, descriptorOf, listFields } from '../../../../protocols/amqp/codec.js';
import { types, type Typed } from '../../../../protocols/amqp/rhea-engine.js';
import { frame, FRAME_TYPE, protocolHeader } from '../../../../protocols/amqp/wire.js';

/** A byte-level AMQP peer for tests of what the broker does with bad input. */

export interface RawFrame {
  type: number;
  channel: number;
  /** Descriptor code of the performative (undefined for an empty frame). */
  code: number | undefined;
  fields: Typed[];
}

export class RawAmqpClient {
  private buffer = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  readonly closed: Promise<void>;
  private ended = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiter?.();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.ended = true;
      this.waiter?.();
      resolve();
    }));
  }

  static connect(port: number): Promise<RawAmqpClient> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: '127.0.0.1', port }, () => resolve(new RawAmqpClient(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Waits for `n` bytes; resolves with fewer if the socket closes first. */
  async read(n: number, timeoutMs = 3000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffer.length < n && !this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} bytes (have ${this.buffer.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    const out = this.buffer.subarray(0, Math.min(n, this.buffer.length));
    this.buffer = this.buffer.subarray(out.length);
    return out;
  }

  async readFrame(timeoutMs = 3000): Promise<RawFrame | undefined> {
    const head = await this.read(4, timeoutMs);
    if (head.length < 4) return undefined;
    const size = head.readUInt32BE(0);
    const rest = await this.read(size - 4, timeoutMs);
    if (rest.length < size - 4) return undefined;
    const doff = rest[0]!;
    const body = rest.subarray(doff * 4 - 4);
    if (body.length === 0) return { type: rest[1]!, channel: rest.readUInt16BE(2), code: undefined, fields: [] };
    const performative = new types.Reader(body).read();
    return { type: rest[1]!, channel: rest.readUInt16BE(2), code: descriptorOf(performative), fields: listFields(performative) };
  }

  /** Reads frames until a close (or the end); returns the close's error condition. */
  async closeCondition(timeoutMs = 3000): Promise<string | undefined> {
    for (;;) {
      const f = await this.readFrame(timeoutMs);
      if (!f) return undefined;
      if (f.code === PERFORMATIVE.close) {
        const error = f.fields[0];
        return error ? (listFields(error)[0]?.value as string) : undefined;
      }
    }
  }

  /** Header, open, reads the broker's header and open; then begin on channel 0. */
  async openAnonymous(): Promise<void> {
    this.write(protocolHeader(0));
    this.write(openFrame('raw-client'));
    const header = await this.read(8);
    if (header.toString('latin1', 0, 4) !== 'AMQP') throw new Error('no AMQP header');
    const open = await this.readFrame();
    if (open?.code !== PERFORMATIVE.open) throw new Error('no open');
  }
}

export const PERFORMATIVE = { open: 0x10, begin: 0x11, attach: 0x12, flow: 0x13, transfer: 0x14, disposition: 0x15, detach: 0x16, end: 0x17, close: 0x18 } as const;

export function amqpFrame(code: number, fields: Array<Typed | undefined>, channel = 0): Buffer {
  return frame(FRAME_TYPE.amqp, channel, describedList(code, fields));
}

export function openFrame(containerId: string): Buffer {
  return amqpFrame(PERFORMATIVE.open, [types.wrap_string(containerId)]);
}

export function beginFrame(channel = 0): Buffer {
  return amqpFrame(PERFORMATIVE.begin, [undefined, types.wrap_uint(0), types.wrap_uint(1000), types.wrap_uint(1000)], channel);
}

/** A frame header with the given fields and `body` after it. */
export function rawFrame(size: number, doff: number, type: number, channel: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(size, 0);
  header[4] = doff;
  header[5] = type;
  header.writeUInt16BE(channel, 6);
  return Buffer.concat([header, body]);
}
