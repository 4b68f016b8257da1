import net from 'node:net';
import { CoalescedWriter } from './coalesced-writer.js';

/**
 * A lean STOMP 1.2 client for load generation: coalesced writes, a frame scanner that reads only
 * the headers the bench asks for. Not a general client — the tests use stompit and @stomp/stompjs.
 */
export interface StompFrame {
  command: string;
  /** Command and header lines as they came (not unescaped): read them with header(). */
  head: string;
  body: Buffer;
}

/** The first value of header `name`, found in the frame's text when asked for (no map per frame). */
export function header(frame: StompFrame, name: string): string | undefined {
  const key = `\n${name}:`;
  const at = frame.head.indexOf(key);
  if (at < 0) return undefined;
  const from = at + key.length;
  const end = frame.head.indexOf('\n', from);
  return frame.head.slice(from, end < 0 ? frame.head.length : end);
}

export class StompLoadClient {
  private readonly socket: net.Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private readonly writer: CoalescedWriter;
  onFrame: (f: StompFrame) => void = () => {};

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.writer = new CoalescedWriter(socket);
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
      client.onFrame = (f) => (f.command === 'CONNECTED' ? resolve() : reject(new Error(`${f.command}: ${header(f, 'message')}`)));
    });
    const auth = login ? `login:${login.login}\npasscode:${login.passcode}\n` : '';
    client.send(`CONNECT\naccept-version:1.2\nhost:localhost\nheart-beat:0,0\n${auth}\n\0`);
    await connected;
    return client;
  }

  /** Queues a raw frame; all frames queued in one tick go out in one write. */
  send(frame: string): void {
    this.writer.write(frame);
  }

  private onData(chunk: Buffer): void {
    let buf = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    let start = 0;
    for (;;) {
      // Skip heart-beat EOLs between frames.
      while (start < buf.length && (buf[start] === 0x0a || buf[start] === 0x0d)) start++;
      const end = buf.indexOf(0, start);
      if (end < 0) break;
      this.onFrame(parseFrame(buf, start, end));
      start = end + 1;
    }
    this.buffered = start < buf.length ? Buffer.from(buf.subarray(start)) : Buffer.alloc(0);
    buf = this.buffered;
  }

  async close(): Promise<void> {
    this.writer.flush();
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end('DISCONNECT\n\n\0');
      setTimeout(() => this.socket.destroy(), 1000).unref();
    });
  }
}

/** Bytes [start, end) of `buf` hold one frame without its NUL. The broker sends LF line ends only. */
function parseFrame(buf: Buffer, start: number, end: number): StompFrame {
  let headEnd = start;
  while (headEnd < end && !(buf[headEnd] === 0x0a && buf[headEnd + 1] === 0x0a)) headEnd++;
  const head = buf.toString('utf8', start, headEnd);
  const eol = head.indexOf('\n');
  const command = (eol < 0 ? head : head.slice(0, eol)).trim();
  return { command, head, body: headEnd < end ? buf.subarray(headEnd + 2, end) : buf.subarray(end, end) };
}
