import { connect, type Socket } from 'node:net';
import { generate, parser, type Packet } from 'mqtt-packet';

/** A CONNECT written by hand (mqtt-packet refuses to generate some invalid ones tests need). */
export function connectBytes(level: 3 | 4 | 5, clientId: string | Buffer, clean: boolean, keepalive = 0): Buffer {
  const str = (b: Buffer): Buffer => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  const name = Buffer.from(level === 3 ? 'MQIsdp' : 'MQTT');
  const body = Buffer.concat([
    str(name), Buffer.from([level, clean ? 0x02 : 0, keepalive >> 8, keepalive & 0xff]),
    level === 5 ? Buffer.from([0]) : Buffer.alloc(0),
    str(Buffer.isBuffer(clientId) ? clientId : Buffer.from(clientId)),
  ]);
  const length: number[] = [];
  let n = body.length;
  do {
    length.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>= 7;
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x10, ...length]), body]);
}

/**
 * A bare MQTT client over a TCP socket, for tests that need exact control of the bytes: packets
 * go out as given (or as raw bytes), every packet received is kept in order.
 */
export class RawClient {
  readonly received: Packet[] = [];
  closed = false;
  private waiters: Array<() => void> = [];
  private readonly closedPromise: Promise<void>;

  private constructor(
    readonly socket: Socket,
    readonly level: 3 | 4 | 5,
  ) {
    const p = parser({ protocolVersion: level });
    p.on('packet', (packet: Packet) => {
      this.received.push(packet);
      this.wake();
    });
    p.on('error', () => undefined);
    socket.on('data', (chunk) => p.parse(chunk));
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static async open(port: number, level: 3 | 4 | 5 = 4): Promise<RawClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    return new RawClient(socket, level);
  }

  /** Opens a socket and completes CONNECT / CONNACK. */
  static async connected(port: number, level: 3 | 4 | 5, connect: Partial<Packet> & Record<string, unknown> = {}): Promise<RawClient> {
    const client = await RawClient.open(port, level);
    client.send({
      cmd: 'connect', protocolId: level === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: level, clean: true, keepalive: 0,
      clientId: `raw-${Math.random().toString(36).slice(2)}`, ...connect,
    } as Packet);
    const connack = await client.next('connack');
    const code = (connack as { returnCode?: number; reasonCode?: number }).returnCode ?? (connack as { reasonCode?: number }).reasonCode;
    if (code !== 0) throw new Error(`CONNACK ${code}`);
    return client;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(packet: Packet): void {
    this.socket.write(generate(packet, { protocolVersion: this.level }));
  }

  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next received packet of `cmd` (removed from `received`); rejects after timeoutMs or on close. */
  async next<T extends Packet = Packet>(cmd?: Packet['cmd'], timeoutMs = 3000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.received.findIndex((p) => cmd === undefined || p.cmd === cmd);
      if (i >= 0) return this.received.splice(i, 1)[0] as T;
      if (this.closed) throw new Error(`connection closed while waiting for ${cmd ?? 'a packet'}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${cmd ?? 'a packet'}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Resolves once the server has closed the connection; rejects after timeoutMs. */
  async waitClosed(timeoutMs = 3000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closedPromise,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('connection still open')), timeoutMs))),
    ]).finally(() => clearTimeout(timer));
  }

  /** Waits a little and returns what arrived meanwhile (for asserting that nothing came). */
  async drain(ms = 200): Promise<Packet[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.received.splice(0);
  }

  close(): void {
    this.socket.destroy();
  }
}
