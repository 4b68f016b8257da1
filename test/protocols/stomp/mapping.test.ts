import { describe, expect, it } from 'vitest';
import type { Address, CoreMessage, CoreSession } from '../../../src/spi/index.js';
import type { InboundFrame } from '../../../protocols/stomp/codec/frame.js';
import { DestinationMap, messageFrameBody, messageFrameHeaders, messageFromFrame } from '../../../protocols/stomp/mapping.js';

/** Just enough of a session for destination mapping: temporary destinations. */
function tempSession(): CoreSession {
  let n = 0;
  return {
    createTemporary: (routing: Address['routing']): Address => ({ name: `ID:tmp-${++n}`, routing, temporary: true }),
  } as unknown as CoreSession;
}

function frame(headers: Record<string, string>, body = ''): InboundFrame {
  return { command: 'SEND', headers: new Map(Object.entries(headers)), body: Buffer.from(body) };
}

describe('DestinationMap', () => {
  const map = () => new DestinationMap(tempSession);

  it('maps the ActiveMQ prefixes', () => {
    const m = map();
    expect(m.resolve('/queue/a.b', true)).toEqual({ name: 'a.b', routing: 'anycast' });
    expect(m.resolve('/topic/t', true)).toEqual({ name: 't', routing: 'multicast' });
    expect(m.resolve('/remote-temp-queue/ID:x', true)).toEqual({ name: 'ID:x', routing: 'anycast', temporary: true });
    expect(m.resolve('/remote-temp-topic/ID:y', true)).toEqual({ name: 'ID:y', routing: 'multicast', temporary: true });
    expect(m.resolve('  /queue/padded', true)).toEqual({ name: 'padded', routing: 'anycast' });
  });

  it('treats a bare name as a queue (ActiveMQ DefaultUnresolvedDestinationTransformer)', () => {
    expect(map().resolve('plain', true)).toEqual({ name: 'plain', routing: 'anycast' });
    expect(map().resolve('plain', false)).toBeUndefined();
  });

  it('rejects a prefix without a name and an empty name', () => {
    expect(() => map().resolve('/queue/', true)).toThrow(/Illegal destination name/);
    expect(() => map().resolve('  ', true)).toThrow(/Invalid empty/);
  });

  it('creates one temporary destination per name and shows it back under that name', () => {
    const m = map();
    const a = m.resolve('/temp-queue/replies', true);
    expect(a.temporary).toBe(true);
    expect(m.resolve('/temp-queue/replies', true)).toBe(a);
    const t = m.resolve('/temp-topic/replies', true);
    expect(t).not.toEqual(a);
    expect(m.format(a)).toBe('/temp-queue/replies');
    expect(m.format(t)).toBe('/temp-topic/replies');
    // Another connection sees the core name.
    expect(map().format(a)).toBe(`/remote-temp-queue/${a.name}`);
    expect(map().format(t)).toBe(`/remote-temp-topic/${t.name}`);
    expect(map().format({ name: 'q', routing: 'anycast' })).toBe('/queue/q');
  });
});

describe('messageFromFrame', () => {
  const m = () => new DestinationMap(tempSession);

  it('maps the standard headers and keeps the rest as string properties', () => {
    const msg = messageFromFrame(
      frame({
        destination: '/queue/a', receipt: '1', transaction: 'tx', persistent: 'true', priority: '7', expires: '123456',
        'correlation-id': 'c1', type: 'T', 'reply-to': '/queue/r', 'content-type': 'text/plain', JMSXGroupID: 'g', JMSXGroupSeq: '3',
        timestamp: '99', 'message-id': 'forged', redelivered: 'true', subscription: 's', JMSXUserID: 'who', custom: 'x:y',
      }, 'body'),
      m(),
    );
    expect(msg).toMatchObject({
      bodyType: 'text', persistent: true, priority: 7, expiration: 123456, correlationId: 'c1', type: 'T',
      replyTo: { name: 'r', routing: 'anycast' }, contentType: 'text/plain', groupId: 'g', groupSeq: 3, timestamp: 99,
    });
    expect(msg.properties).toEqual({ custom: 'x:y' });
    expect(msg.messageId).toBeUndefined();
  });

  it('defaults as ActiveMQ: non-persistent, priority 4, no expiry', () => {
    expect(messageFromFrame(frame({ destination: '/queue/a' }), m())).toMatchObject({ persistent: false, priority: 4, expiration: 0 });
  });

  it('content-length makes a bytes message, its absence a text message; amq-msg-type overrides', () => {
    expect(messageFromFrame(frame({ 'content-length': '0' }), m()).bodyType).toBe('bytes');
    expect(messageFromFrame(frame({}), m()).bodyType).toBe('text');
    expect(messageFromFrame(frame({ 'content-length': '0', 'amq-msg-type': 'text' }), m()).bodyType).toBe('text');
    expect(messageFromFrame(frame({ 'amq-msg-type': 'bytes' }), m()).bodyType).toBe('bytes');
    expect(() => messageFromFrame(frame({ 'amq-msg-type': 'map' }), m())).toThrow(/Unsupported message type/);
  });

  it('keeps a reply-to that names no destination as a string property (ActiveMQ)', () => {
    const msg = messageFromFrame(frame({ 'reply-to': 'somewhere' }), m());
    expect(msg.replyTo).toBeUndefined();
    expect(msg.properties['reply-to']).toBe('somewhere');
  });

  it('rejects malformed numeric headers', () => {
    for (const [name, value] of [['priority', '10'], ['priority', 'high'], ['expires', '-1'], ['expires', '1.5'], ['JMSXGroupSeq', 'x'], ['timestamp', 'now']]) {
      expect(() => messageFromFrame(frame({ [name!]: value! }), m()), `${name}=${value}`).toThrow(new RegExp(`Invalid ${name}`));
    }
  });
});

describe('MESSAGE headers and body', () => {
  const base: CoreMessage = {
    messageId: 'ID:1', address: { name: 'a', routing: 'anycast' }, body: Buffer.from('x'), bodyType: 'text', properties: {},
    persistent: false, priority: 4, expiration: 0, timestamp: 42,
  };

  it('sends expires, priority and timestamp always; redelivered and persistent only when true', () => {
    const plain = new Map(messageFrameHeaders(base, { subscriptionId: 's', redelivered: false }, new DestinationMap(tempSession)));
    expect(plain).toEqual(new Map([['subscription', 's'], ['message-id', 'ID:1'], ['destination', '/queue/a'], ['expires', '0'], ['priority', '4'], ['timestamp', '42']]));
    const full = new Map(messageFrameHeaders(
      {
        ...base, persistent: true, correlationId: 'c', replyTo: { name: 'ID:t', routing: 'anycast', temporary: true }, type: 'T', userId: 'u',
        originalDestination: { name: 'orig', routing: 'multicast' }, contentType: 'application/json', groupId: 'g', groupSeq: 2,
        properties: { s: 'v', n: 5, b: true, big: 7n, bytes: new Uint8Array(1), nul: null, 'content-length': '99', ack: 'forged' },
      },
      { subscriptionId: 's', redelivered: true, ackId: '17' },
      new DestinationMap(tempSession),
    ));
    expect(Object.fromEntries(full)).toEqual({
      subscription: 's', 'message-id': 'ID:1', destination: '/queue/a', ack: '17', expires: '0', priority: '4', timestamp: '42',
      redelivered: 'true', persistent: 'true', 'correlation-id': 'c', 'reply-to': '/remote-temp-queue/ID:t', type: 'T', JMSXUserID: 'u',
      'original-destination': '/topic/orig', 'content-type': 'application/json', JMSXGroupID: 'g', JMSXGroupSeq: '2',
      s: 'v', n: '5', b: 'true', big: '7',
    });
  });

  it('bytes bodies carry content-length; map/stream/object bodies go out empty', () => {
    expect(messageFrameBody({ ...base, bodyType: 'bytes' })).toEqual({ body: base.body, withContentLength: true });
    expect(messageFrameBody(base)).toEqual({ body: base.body, withContentLength: false });
    expect(messageFrameBody({ ...base, bodyType: 'map' }).body.length).toBe(0);
  });
});
