import net from 'node:net';
import type { HostPort } from '../drill-protocol.js';
import { encodeFrame, FrameReader, type StompFrame } from './stomp-frame.js';

export interface StompSessionOptions {
  /** TCP connect plus CONNECT → CONNECTED must finish within this. */
  connectTimeoutMs: number;
  /** Heart-beat interval asked for in both directions (0: none). A silent broker is dropped after twice the agreed interval. */
  heartbeatMs: number;
  login?: { login: string; passcode: string };
}

/**
 * One STOMP 1.2 connection over node:net, from CONNECT to close, without reconnection (see
 * reconnecting-stomp.ts for that). `closed` resolves with a reason however the connection ends.
 */
export class StompSession {
  onFrame: (frame: StompFrame) => void = () => {};
  readonly closed: Promise<string>;
  private readonly reader = new FrameReader();
  private heartbeatTimers: NodeJS.Timeout[] = [];
  private lastReadAt = Date.now();
  private endedWith: string | undefined;
  private resolveClosed!: (reason: string) => void;

  private constructor(private readonly socket: net.Socket, readonly address: HostPort) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.end(`socket error: ${err.message}`));
    socket.on('close', () => this.end('connection closed by the broker'));
  }

  /** Connects and logs in; rejects (and leaves nothing open) when the broker refuses, errs or is too slow. */
  static open(address: HostPort, o: StompSessionOptions): Promise<StompSession> {
    const session = new StompSession(net.connect(address.port, address.host), address);
    return new Promise<StompSession>((resolve, reject) => {
      const timer = setTimeout(() => session.destroy(`no CONNECTED within ${o.connectTimeoutMs} ms`), o.connectTimeoutMs);
      session.onFrame = (f) => {
        clearTimeout(timer);
        if (f.command !== 'CONNECTED') {
          session.destroy(`${f.command}: ${f.headers.message ?? ''}`);
          return;
        }
        session.onFrame = () => {};
        session.startHeartbeats(o.heartbeatMs, f.headers['heart-beat']);
        resolve(session);
      };
      void session.closed.then((reason) => {
        clearTimeout(timer);
        reject(new Error(reason));
      });
      const auth: Record<string, string> = o.login ? { login: o.login.login, passcode: o.login.passcode } : {};
      session.write('CONNECT', { 'accept-version': '1.2', host: address.host, 'heart-beat': `${o.heartbeatMs},${o.heartbeatMs}`, ...auth });
    });
  }

  get isOpen(): boolean {
    return this.endedWith === undefined;
  }

  write(command: string, headers: Record<string, string | number>, body?: string): void {
    if (this.isOpen) this.socket.write(encodeFrame(command, headers, body));
  }

  /** Polite close: DISCONNECT, then the socket ends; destroyed if the broker does not close within `graceMs`. */
  async close(graceMs = 1000): Promise<void> {
    if (!this.isOpen) return;
    this.write('DISCONNECT', {});
    this.socket.end();
    const timer = setTimeout(() => this.destroy('closed by the client'), graceMs);
    await this.closed;
    clearTimeout(timer);
  }

  destroy(reason: string): void {
    this.end(reason);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.lastReadAt = Date.now();
    let frames: StompFrame[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      this.destroy((err as Error).message);
      return;
    }
    for (const f of frames) {
      if (!this.isOpen) return;
      this.onFrame(f);
    }
  }

  /** STOMP 1.2 heart-beat negotiation: each side's interval is the larger of what one offers and the other wants. */
  private startHeartbeats(askedMs: number, answer: string | undefined): void {
    if (askedMs <= 0 || !answer) return;
    const [serverSendsMs, serverWantsMs] = answer.split(',').map(Number) as [number, number];
    if (serverWantsMs > 0) {
      const everyMs = Math.max(askedMs, serverWantsMs);
      this.heartbeatTimers.push(setInterval(() => this.isOpen && this.socket.write('\n'), everyMs));
    }
    if (serverSendsMs > 0) {
      const silenceMs = 2 * Math.max(askedMs, serverSendsMs);
      this.heartbeatTimers.push(setInterval(() => {
        if (Date.now() - this.lastReadAt > silenceMs) this.destroy(`broker silent for over ${silenceMs} ms`);
      }, silenceMs / 4));
    }
  }

  private end(reason: string): void {
    if (this.endedWith !== undefined) return;
    this.endedWith = reason;
    for (const t of this.heartbeatTimers) clearInterval(t);
    this.heartbeatTimers = [];
    this.resolveClosed(reason);
  }
}
