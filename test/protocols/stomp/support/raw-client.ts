import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { FrameDecoder } from '../../../../protocols/stomp/codec/frame-decoder.js';
import { encodeFrame } from '../../../../protocols/stomp/codec/frame-encoder.js';
import type { StompVersion } from '../../../../protocols/stomp/codec/frame.js';
import { unescapeFrame } from '../../../../protocols/stomp/codec/header-escaping.js';

/** A frame as received by the raw client. */
export interface Frame {
  command: string;
  headers: Record<string, string>;
  body: Buffer;
  text: string;
}

export interface RawClientOptions {
  port: number;
  tls?: { ca: string };
}

/**
 * A bare STOMP client over a net or TLS socket, for tests that need exact control of the bytes:
 * sends raw strings or encoded frames, receives decoded frames (and counts heart-beat EOLs).
 */
export class RawClient {
  readonly frames: Frame[] = [];
  /** Bare EOLs received between frames (server heart-beats). */
  heartbeats = 0;
  closed = false;
  version: StompVersion | undefined;
  private readonly decoder = new FrameDecoder({ maxFrameBytes: 64 * 1024 * 1024, maxHeaderBytes: 1024 * 1024, maxHeaders: 10_000 });
  private waiters: Array<() => void> = [];
  private closeWaiters: Array<() => void> = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.notify();
      for (const w of this.closeWaiters.splice(0)) w();
    });
  }

  static async open(options: RawClientOptions): Promise<RawClient> {
    const socket = options.tls
      ? tlsConnect({ host: '127.0.0.1', port: options.port, ca: options.tls.ca, servername: 'localhost' })
      : netConnect({ host: '127.0.0.1', port: options.port });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  /** Opens and completes CONNECT; fails unless the answer is CONNECTED. */
  static async connected(options: RawClientOptions, headers: Record<string, string> = {}): Promise<RawClient> {
    const client = await RawClient.open(options);
    const answer = await client.connect(headers);
    if (answer.command !== 'CONNECTED') throw new Error(`expected CONNECTED, got ${answer.command}: ${answer.headers.message}`);
    return client;
  }

  async connect(headers: Record<string, string> = {}): Promise<Frame> {
    this.sendFrame('CONNECT', { 'accept-version': '1.2', host: 'localhost', ...headers });
    const answer = await this.next();
    if (answer.command === 'CONNECTED') this.version = answer.headers.version as StompVersion;
    return answer;
  }

  sendRaw(data: string | Buffer): void {
    this.socket.write(data);
  }

  sendFrame(command: string, headers: Record<string, string> = {}, body: string | Buffer = '', withContentLength = false): void {
    const escaping = command === 'CONNECT' || command === 'STOMP' ? undefined : this.version;
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    this.socket.write(encodeFrame(command, Object.entries(headers), bytes, escaping, withContentLength));
  }

  /** Sends with a receipt and waits for that RECEIPT (throws on ERROR). */
  async request(command: string, headers: Record<string, string> = {}, body: string | Buffer = '', withContentLength = false): Promise<Frame> {
    const receipt = `r-${Math.random().toString(36).slice(2)}`;
    this.sendFrame(command, { ...headers, receipt }, body, withContentLength);
    const answer = await this.waitFor((f) => f.command === 'ERROR' || (f.command === 'RECEIPT' && f.headers['receipt-id'] === receipt));
    if (answer.command === 'ERROR') throw new Error(`ERROR: ${answer.headers.message}\n${answer.text}`);
    return answer;
  }

  /** The next frame not yet taken. */
  async next(timeoutMs = 5000): Promise<Frame> {
    return this.waitFor(() => true, timeoutMs);
  }

  /** Removes and returns the first received frame matching `match`, waiting for it. */
  async waitFor(match: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(match);
      if (i !== -1) return this.frames.splice(i, 1)[0]!;
      if (this.closed) throw new Error(`connection closed; frames left: ${this.frames.map((f) => f.command).join(',')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; frames left: ${this.frames.map((f) => `${f.command}(${f.headers.message ?? ''})`).join(',')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Collects `count` MESSAGE frames. */
  async messages(count: number, timeoutMs = 5000): Promise<Frame[]> {
    const out: Frame[] = [];
    while (out.length < count) out.push(await this.waitFor((f) => f.command === 'MESSAGE', timeoutMs));
    return out;
  }

  /** Resolves when nothing matching arrives within `ms`; throws if something does. */
  async expectNone(match: (f: Frame) => boolean, ms: number): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    const found = this.frames.find(match);
    if (found) throw new Error(`unexpected ${found.command}: ${JSON.stringify(found.headers)} ${found.text}`);
  }

  /** Waits for the server to close the connection. */
  async whenClosed(timeoutMs = 5000): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the server did not close the connection')), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** The ERROR the server sends before closing. */
  async expectError(timeoutMs = 5000): Promise<Frame> {
    const error = await this.waitFor((f) => f.command === 'ERROR', timeoutMs);
    await this.whenClosed(timeoutMs);
    return error;
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    // Count EOLs that arrive outside frames as heart-beats.
    const { frames } = this.decoder.push(chunk);
    const eols = countHeartbeats(chunk);
    this.heartbeats += eols;
    for (const raw of frames) {
      const escaping = raw.command === 'CONNECTED' ? undefined : this.version;
      const frame = unescapeFrame(raw, escaping);
      this.frames.push({ command: frame.command, headers: Object.fromEntries(frame.headers), body: frame.body, text: frame.body.toString('utf8') });
    }
    this.notify();
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** A chunk that is only EOLs is a heart-beat (good enough for tests: frames end in NUL). */
function countHeartbeats(chunk: Buffer): number {
  return chunk.every((b) => b === 0x0a || b === 0x0d) ? chunk.filter((b) => b === 0x0a).length : 0;
}
