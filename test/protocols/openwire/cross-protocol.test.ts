import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { describeRun, runScenario, useJavaClientBroker } from './java-client.js';

interface StompFrame {
  command: string;
  headers: Map<string, string>;
  body: Buffer;
}

/** Just enough STOMP 1.2 to subscribe and send (frames split on NUL or content-length). */
class MiniStomp {
  private buf = Buffer.alloc(0);
  private readonly waiting: Array<(f: StompFrame) => void> = [];
  private readonly frames: StompFrame[] = [];
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.parse();
    });
  }

  static async connect(port: number): Promise<MiniStomp> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const c = new MiniStomp(socket);
    c.send('CONNECT', { 'accept-version': '1.2', host: 'localhost' });
    expect((await c.next()).command).toBe('CONNECTED');
    return c;
  }

  send(command: string, headers: Record<string, string>, body: Buffer | string = ''): void {
    const head = [command, ...Object.entries(headers).map(([k, v]) => `${k}:${v}`)].join('\n');
    this.socket.write(Buffer.concat([Buffer.from(`${head}\n\n`), Buffer.from(body), Buffer.from([0])]));
  }

  next(): Promise<StompFrame> {
    const f = this.frames.shift();
    if (f) return Promise.resolve(f);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private parse(): void {
    for (;;) {
      while (this.buf[0] === 0x0a) this.buf = this.buf.subarray(1);
      const end = this.buf.indexOf('\n\n');
      if (end < 0) return;
      const [command, ...lines] = this.buf.subarray(0, end).toString().split('\n');
      const headers = new Map<string, string>();
      for (const l of lines) {
        const i = l.indexOf(':');
        const unescape = (v: string): string => v.replace(/\\(.)/g, (_m, c: string) => ({ c: ':', n: '\n', r: '\r', '\\': '\\' })[c] ?? c);
        if (!headers.has(l.slice(0, i))) headers.set(unescape(l.slice(0, i)), unescape(l.slice(i + 1)));
      }
      const length = headers.has('content-length') ? Number(headers.get('content-length')) : this.buf.indexOf(0, end + 2) - end - 2;
      if (length < 0 || this.buf.length < end + 2 + length + 1) return;
      const frame = { command: command!, headers, body: this.buf.subarray(end + 2, end + 2 + length) };
      this.buf = this.buf.subarray(end + 2 + length + 1);
      const w = this.waiting.shift();
      if (w) w(frame);
      else this.frames.push(frame);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** OpenWire (ActiveMQ's JMS client) ↔ STOMP, both ways, mapped as ActiveMQ maps them. */
describe('OpenWire and STOMP on one broker', () => {
  const fixture = useJavaClientBroker();

  it('JMS TextMessage and BytesMessage reach a STOMP subscriber with their headers and properties', async () => {
    const stomp = await MiniStomp.connect(fixture.broker.ports.stomp!.tcp!);
    stomp.send('SUBSCRIBE', { id: '0', destination: '/queue/x.jms-to-stomp', ack: 'auto', receipt: 'r' });
    expect((await stomp.next()).command).toBe('RECEIPT');
    const r = await runScenario(fixture.uri, 'send-rich', ['x.jms-to-stomp']);
    expect(r.code, describeRun(r)).toBe(0);
    const text = await stomp.next();
    expect(text.command, `${text.command} ${JSON.stringify([...text.headers])} ${text.body.toString()}`).toBe('MESSAGE');
    expect(text.body.toString('utf8')).toBe('hello from jms ü');
    expect(text.headers.get('correlation-id')).toBe('c-1');
    expect(text.headers.get('type')).toBe('t-1');
    expect(text.headers.get('str')).toBe('s');
    expect(text.headers.get('num')).toBe('42');
    expect(text.headers.get('flag')).toBe('true');
    expect(text.headers.get('message-id')).toMatch(/^ID:/);
    const bytes = await stomp.next();
    expect([...bytes.body]).toEqual([1, 2, 3]);
    expect(bytes.headers.get('content-length')).toBe('3');
    stomp.close();
  }, 60_000);

  it('STOMP frames reach the JMS client as TextMessage (no content-length) and BytesMessage (content-length)', async () => {
    const stomp = await MiniStomp.connect(fixture.broker.ports.stomp!.tcp!);
    stomp.send('SEND', { destination: '/queue/x.stomp-to-jms', 'correlation-id': 'c-2', type: 't-2', foo: 'bar', receipt: 'a' }, 'hello from stomp');
    expect((await stomp.next()).command).toBe('RECEIPT');
    stomp.send('SEND', { destination: '/queue/x.stomp-to-jms', 'content-length': '4', receipt: 'b' }, Buffer.from([9, 0, 8, 7]));
    expect((await stomp.next()).command).toBe('RECEIPT');
    stomp.close();
    const r = await runScenario(fixture.uri, 'receive', ['x.stomp-to-jms', '2']);
    expect(r.code, describeRun(r)).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('GOT '));
    expect(lines[0]).toContain('ActiveMQTextMessage text=hello from stomp corr=c-2 type=t-2');
    expect(lines[0]).toContain('foo=bar:String');
    expect(lines[1]).toContain('ActiveMQBytesMessage bytes=4');
  }, 60_000);
});
