import { connect as netConnect, type Socket } from 'node:net';

/** A minimal STOMP 1.2 client over a raw socket, for cross-protocol tests. */

export interface StompFrame {
  command: string;
  headers: Record<string, string>;
  body: Buffer;
}

export class StompClient {
  private buffer = Buffer.alloc(0);
  private readonly frames: StompFrame[] = [];
  private waiter: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<StompClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect({ host: '127.0.0.1', port }, () => resolve(s));
      s.once('error', reject);
    });
    const client = new StompClient(socket);
    client.send('CONNECT', { 'accept-version': '1.2', host: 'localhost' });
    const connected = await client.next();
    if (connected.command !== 'CONNECTED') throw new Error(`STOMP: ${connected.command} ${connected.body.toString()}`);
    return client;
  }

  send(command: string, headers: Record<string, string>, body: Buffer | string = ''): void {
    const lines = [command, ...Object.entries(headers).map(([k, v]) => `${k}:${v}`), '', ''].join('\n');
    this.socket.write(Buffer.concat([Buffer.from(lines), Buffer.from(body), Buffer.from([0])]));
  }

  /** Subscribes and waits for the receipt, so that what is sent next is seen. */
  async subscribe(destination: string, id = '0'): Promise<void> {
    this.send('SUBSCRIBE', { id, destination, ack: 'auto', receipt: `sub-${id}` });
    const receipt = await this.next();
    if (receipt.command !== 'RECEIPT') throw new Error(`STOMP: ${receipt.command} ${receipt.body.toString()}`);
  }

  async sendWithReceipt(headers: Record<string, string>, body: Buffer | string): Promise<void> {
    this.send('SEND', { ...headers, receipt: 'send' }, body);
    const receipt = await this.next();
    if (receipt.command !== 'RECEIPT') throw new Error(`STOMP: ${receipt.command} ${receipt.body.toString()}`);
  }

  async next(timeoutMs = 5000): Promise<StompFrame> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no STOMP frame in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.frames.shift()!;
  }

  close(): void {
    this.socket.destroy();
  }

  private parse(): void {
    for (;;) {
      while (this.buffer.length > 0 && (this.buffer[0] === 0x0a || this.buffer[0] === 0x0d)) this.buffer = this.buffer.subarray(1);
      const end = this.buffer.indexOf('\n\n');
      if (end < 0) return;
      const [command, ...lines] = this.buffer.toString('utf8', 0, end).split('\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        if (i > 0 && !(line.slice(0, i) in headers)) headers[line.slice(0, i)] = line.slice(i + 1);
      }
      const start = end + 2;
      const length = headers['content-length'] !== undefined ? Number(headers['content-length']) : this.buffer.indexOf(0, start) - start;
      if (length < 0 || this.buffer.length < start + length + 1) return;
      this.frames.push({ command: command!, headers, body: Buffer.from(this.buffer.subarray(start, start + length)) });
      this.buffer = this.buffer.subarray(start + length + 1);
    }
  }
}
