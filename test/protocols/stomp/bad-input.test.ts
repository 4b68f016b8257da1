import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { RawClient } from './support/raw-client.js';
import { useStompBroker } from './support/fixture.js';

/**
 * Misbehaving clients: every case ends in an ERROR frame (short `message`, text/plain body with
 * the detail) and a closed connection, while a well-behaved client on the same broker keeps being
 * served.
 */
const stomp = useStompBroker({
  limits: { maxFrameBytes: 64 * 1024, maxHeaderBytes: 4096, maxHeaders: 50, maxMessageBytes: 32 * 1024, idleTimeoutMs: 400 },
});

let bystander: RawClient;
let bystanderQueue: string;

beforeAll(async () => {
  bystander = await RawClient.connected({ port: stomp.tcpPort });
  bystanderQueue = stomp.name('bystander');
  await bystander.request('SUBSCRIBE', { id: 'b', destination: `/queue/${bystanderQueue}` });
});

afterAll(async () => {
  // Everything that happened to the others left this one alone.
  await bystander.request('SEND', { destination: `/queue/${bystanderQueue}` }, 'still here');
  expect((await bystander.messages(1))[0]!.text).toBe('still here');
  bystander.close();
});

/** Sends `input` on a fresh socket (after CONNECT when `connected`) and returns the ERROR. */
async function errorFor(input: string | Buffer | ((c: RawClient) => void), connected = true) {
  const c = connected ? await stomp.client() : await stomp.socket();
  if (typeof input === 'function') input(c);
  else c.sendRaw(input);
  const error = await c.expectError();
  expect(error.headers['content-type']).toBe('text/plain');
  expect(error.text.length).toBeGreaterThan(0);
  return error;
}

describe('before CONNECT', () => {
  it('refuses any other frame first', async () => {
    expect((await errorFor('SEND\ndestination:/queue/a\n\nx\0', false)).headers.message).toMatch(/Not connected/);
  });

  it('closes a connection that sends no CONNECT within idleTimeoutMs', async () => {
    const c = await stomp.socket();
    const started = Date.now();
    expect((await c.expectError()).headers.message).toMatch(/No CONNECT frame/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  });

  it('refuses an unsupported version, listing the supported ones in `version`', async () => {
    const error = await errorFor('CONNECT\naccept-version:2.0,3.1\n\n\0', false);
    expect(error.headers.version).toBe('1.0,1.1,1.2');
    expect(error.headers.message).toMatch(/supported versions are: 1.0,1.1,1.2/);
  });

  it('refuses a malformed heart-beat header', async () => {
    expect((await errorFor('CONNECT\naccept-version:1.2\nheart-beat:fast\n\n\0', false)).headers.message).toMatch(/Invalid heart-beat/);
  });

  it('refuses garbage', async () => {
    await errorFor(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x0a, 0x00, 0x01, 0x0a, 0x0a, 0x00]), false);
  });
});

describe('framing', () => {
  it('refuses an unknown command', async () => {
    expect((await errorFor('FLY\n\n\0')).headers.message).toMatch(/Unknown STOMP action: FLY/);
  });

  it('refuses server frames sent by a client', async () => {
    expect((await errorFor('MESSAGE\ndestination:/queue/a\n\n\0')).headers.message).toMatch(/Unknown STOMP action: MESSAGE/);
  });

  it('refuses a second CONNECT', async () => {
    expect((await errorFor('CONNECT\naccept-version:1.2\n\n\0')).headers.message).toMatch(/Already connected/);
  });

  it('refuses a frame that is never terminated within maxFrameBytes', async () => {
    const error = await errorFor(`SEND\ndestination:/queue/a\n\n${'x'.repeat(70 * 1024)}`);
    expect(error.headers.message).toMatch(/maxFrameBytes/);
  });

  it('refuses a content-length larger than maxFrameBytes before reading the body', async () => {
    expect((await errorFor('SEND\ndestination:/queue/a\ncontent-length:99999999\n\n')).headers.message).toMatch(/maxFrameBytes/);
  });

  it('refuses a body not followed by NUL after content-length octets', async () => {
    expect((await errorFor('SEND\ndestination:/queue/a\ncontent-length:2\n\nabc\0')).headers.message).toMatch(/NUL/);
  });

  it('refuses a malformed content-length', async () => {
    expect((await errorFor('SEND\ndestination:/queue/a\ncontent-length:2x\n\nab\0')).headers.message).toMatch(/content-length/);
  });

  it('refuses headers beyond maxHeaderBytes and maxHeaders', async () => {
    expect((await errorFor(`SEND\nbig:${'v'.repeat(5000)}\n\n\0`)).headers.message).toMatch(/maxHeaderBytes/);
    expect((await errorFor(`SEND\n${Array.from({ length: 60 }, (_, i) => `h${i}:v\n`).join('')}\n\0`)).headers.message).toMatch(/maxHeaders/);
  });

  it('refuses a header line without a colon', async () => {
    expect((await errorFor('SEND\ndestination /queue/a\n\n\0')).headers.message).toMatch(/colon/);
  });
});

describe('frame content', () => {
  it('refuses a message larger than maxMessageBytes', async () => {
    const error = await errorFor((c) => c.sendFrame('SEND', { destination: '/queue/big', receipt: 'big' }, 'x'.repeat(40 * 1024)));
    expect(error.headers.message).toBe('Message too large');
    expect(error.headers['receipt-id']).toBe('big');
  });

  const cases: Array<[string, string, Record<string, string>, RegExp]> = [
    ['SEND without destination', 'SEND', {}, /without a Destination/],
    ['SEND to an illegal destination', 'SEND', { destination: '/queue/' }, /Illegal destination name/],
    ['SEND with an unknown transaction', 'SEND', { destination: '/queue/a', transaction: 'nope' }, /Invalid transaction id: nope/],
    ['SEND with a bad priority', 'SEND', { destination: '/queue/a', priority: 'urgent' }, /Invalid priority/],
    ['SEND with a bad expires', 'SEND', { destination: '/queue/a', expires: 'soon' }, /Invalid expires/],
    ['SUBSCRIBE without id (1.2)', 'SUBSCRIBE', { destination: '/queue/a' }, /without a subscription id/],
    ['SUBSCRIBE without destination', 'SUBSCRIBE', { id: '1' }, /Destination/],
    ['SUBSCRIBE with a bad selector', 'SUBSCRIBE', { id: '1', destination: '/queue/a', selector: 'a = = b' }, /Invalid selector/],
    ['SUBSCRIBE with a bad prefetch', 'SUBSCRIBE', { id: '1', destination: '/queue/a', ack: 'client', 'activemq.prefetchSize': '0' }, /prefetchSize/],
    ['a durable SUBSCRIBE to a queue', 'SUBSCRIBE', { id: '1', destination: '/queue/a', 'activemq.subscriptionName': 'd' }, /cannot durably subscribe to a Queue/],
    ['a durable SUBSCRIBE without client-id', 'SUBSCRIBE', { id: '1', destination: '/topic/a', 'activemq.subscriptionName': 'd' }, /client-id/],
    ['a bad activemq.priority', 'SUBSCRIBE', { id: '1', destination: '/queue/a', 'activemq.priority': '300' }, /Invalid activemq.priority/],
    ['a topic browser', 'SUBSCRIBE', { id: '1', destination: '/topic/a', browser: 'true' }, /needs a queue destination/],
    ['UNSUBSCRIBE of an unknown id', 'UNSUBSCRIBE', { id: 'nope' }, /No subscription matched/],
    ['UNSUBSCRIBE without id (1.2)', 'UNSUBSCRIBE', { destination: '/queue/a' }, /without a subscription id/],
    ['ACK of an unknown id', 'ACK', { id: '12345' }, /Unexpected ACK/],
    ['ACK without id (1.2)', 'ACK', { 'message-id': 'm' }, /without a/],
    ['NACK of an unknown id', 'NACK', { id: '12345' }, /Unexpected NACK/],
    ['BEGIN without transaction', 'BEGIN', {}, /Must specify the transaction/],
    ['COMMIT of an unknown transaction', 'COMMIT', { transaction: 'nope' }, /Invalid transaction id/],
    ['ABORT of an unknown transaction', 'ABORT', { transaction: 'nope' }, /Invalid transaction id/],
  ];
  for (const [name, command, headers, message] of cases) {
    it(`refuses ${name}, with the receipt-id of the failed frame`, async () => {
      const error = await errorFor((c) => c.sendFrame(command, { ...headers, receipt: 'failed' }));
      expect(error.headers.message).toMatch(message);
      expect(error.headers['receipt-id']).toBe('failed');
    });
  }

  it('refuses a duplicate subscription id', async () => {
    const error = await errorFor((c) => {
      c.sendFrame('SUBSCRIBE', { id: 'same', destination: '/queue/a' });
      c.sendFrame('SUBSCRIBE', { id: 'same', destination: '/queue/b' });
    });
    expect(error.headers.message).toMatch(/Duplicate subscription id: same/);
  });

  it('refuses a BEGIN of a transaction that is already open', async () => {
    const error = await errorFor((c) => {
      c.sendFrame('BEGIN', { transaction: 't' });
      c.sendFrame('BEGIN', { transaction: 't' });
    });
    expect(error.headers.message).toMatch(/already started/);
  });

  it('refuses an ACK on an auto-acknowledged subscription (ActiveMQ)', async () => {
    const q = stomp.name('q');
    const c = await stomp.client();
    await c.request('SUBSCRIBE', { id: 's', destination: `/queue/${q}` });
    await c.request('SEND', { destination: `/queue/${q}` }, 'x');
    const [m] = await c.messages(1);
    c.sendFrame('ACK', { 'message-id': m!.headers['message-id']!, subscription: 's', id: m!.headers['message-id']! });
    expect((await c.expectError()).headers.message).toMatch(/Unexpected ACK/);
  });

  it('runs no frame behind a SEND the core refuses at once, even one written with it', async () => {
    const q = stomp.name('q');
    const error = await errorFor((c) => c.sendRaw(
      `SEND\ndestination:/queue/${q}.*\n\nrefused\0SEND\ndestination:/queue/${q}\n\nbehind\0`,
    ));
    expect(error.headers.message).toMatch(/Invalid destination/);
    const reader = await stomp.client();
    await reader.request('SUBSCRIBE', { id: 's', destination: `/queue/${q}` });
    await reader.expectNone((f) => f.command === 'MESSAGE', 200);
  });

  it('refuses NACK on a 1.0 connection', async () => {
    const c = await stomp.socket();
    c.sendFrame('CONNECT', { host: 'x' });
    expect((await c.next()).headers.version).toBe('1.0');
    c.sendFrame('NACK', { 'message-id': 'm' });
    expect((await c.expectError()).headers.message).toMatch(/v1.0 mode/);
  });
});

describe('authentication', () => {
  let secured: TestBroker;
  beforeAll(async () => {
    secured = await startTestBroker({ core: { allowAnonymous: false, users: [{ username: 'app', password: 's3cret' }] } });
  });
  afterAll(async () => {
    await secured?.stop();
  });

  it('refuses wrong or missing credentials and accepts the right ones', async () => {
    const port = secured.ports.stomp!.tcp!;
    const attempts: Array<Record<string, string>> = [{ login: 'app', passcode: 'wrong' }, { login: 'nobody', passcode: 'x' }, {}];
    for (const headers of attempts) {
      const c = await RawClient.open({ port });
      const answer = await c.connect(headers);
      expect(answer.command).toBe('ERROR');
      expect(answer.headers.message).toBe('Not authorized');
      expect(answer.text).not.toContain('wrong');
      await c.whenClosed();
    }
    const ok = await RawClient.connected({ port }, { login: 'app', passcode: 's3cret' });
    ok.close();
  });
});
