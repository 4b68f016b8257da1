import net from 'node:net';

/**
 * A lean STOMP 1.2 client for load generation: coalesced writes, a frame scanner that reads only
 * the headers the bench needs. Not a general client — the tests use stompit and @stomp/stompjs.
 */
export interface StompFrame {
  command: string;
  headers: Map<string, string>;
  body: Buffer;
}

export class StompLoadClient {
  private readonly socket: net.Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private out: string[] = [];
  private flushScheduled = false;
  onFrame: (f: StompFrame) => void = () => {};

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  static async connect(port: number, host = '127.0.0.1', login?: { login: string; passcode: string }): Promise<StompLoadClient> {
    const socket = net.connect(port, host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new StompLoadClient(socket);
    const connected = new Promise<void>((resolve, reject) => {
      client.onFrame = (f) => (f.command === 'CONNECTED' ? resolve() : reject(new Error(`${f.command}: ${f.headers.get('message')}`)));
    });
    const auth = login ? `login:${login.login}\npasscode:${login.passcode}\n` : '';
    client.send(`CONNECT\naccept-version:1.2\nhost:localhost\nheart-beat:0,0\n${auth}\n\0`);
    await connected;
    return client;
  }

  /** Queues a raw frame; all frames queued in one tick go out in one write. */
  send(frame: string): void {
    this.out.push(frame);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.out.length === 0) return;
    const data = this.out.join('');
    this.out = [];
    this.socket.write(data);
  }

  private onData(chunk: Buffer): void {
    let buf = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    let start = 0;
    for (;;) {
      // Skip heart-beat EOLs between frames.
      while (start < buf.length && (buf[start] === 0x0a || buf[start] === 0x0d)) start++;
      const end = buf.indexOf(0, start);
      if (end < 0) break;
      this.onFrame(parseFrame(buf.subarray(start, end)));
      start = end + 1;
    }
    this.buffered = start < buf.length ? Buffer.from(buf.subarray(start)) : Buffer.alloc(0);
    buf = this.buffered;
  }

  async close(): Promise<void> {
    this.flush();
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end('DISCONNECT\n\n\0');
      setTimeout(() => this.socket.destroy(), 1000).unref();
    });
  }
}

function parseFrame(raw: Buffer): StompFrame {
  const headerEnd = raw.indexOf('\n\n');
  const head = raw.toString('utf8', 0, headerEnd < 0 ? raw.length : headerEnd);
  const lines = head.split('\n');
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon > 0 && !headers.has(line.slice(0, colon))) headers.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return { command: lines[0]!.trim(), headers, body: headerEnd < 0 ? Buffer.alloc(0) : raw.subarray(headerEnd + 2) };
}
