import { describe, expect, it } from 'vitest';
import { distributionOf } from '../../src/drill/distribution.js';
import { parseDrillArgs } from '../../src/drill/drill-args.js';
import { parseHostPort } from '../../src/drill/drill-protocol.js';
import { Ledger } from '../../src/drill/ledger.js';
import { encodeFrame, FrameReader } from '../../src/drill/stomp/stomp-frame.js';

describe('the drill\'s STOMP frames', () => {
  it('encode and decode back, one byte at a time, escapes and bodies included', () => {
    const wire = Buffer.from(
      encodeFrame('SEND', { destination: '/queue/a:b', note: 'line\nbreak\\', empty: '' }, 'body with \0? no: text') +
      '\n\n' + // heart-beats between frames
      'MESSAGE\r\nack:7\r\nredelivered:true\r\n\r\nno length\0' +
      encodeFrame('RECEIPT', { 'receipt-id': 'r-1' }),
    );
    const reader = new FrameReader();
    const frames = [...wire].flatMap((byte) => reader.push(Buffer.from([byte])));
    expect(frames).toEqual([
      { command: 'SEND', headers: { destination: '/queue/a:b', note: 'line\nbreak\\', empty: '', 'content-length': '21' }, body: 'body with \0? no: text' },
      { command: 'MESSAGE', headers: { ack: '7', redelivered: 'true' }, body: 'no length' },
      { command: 'RECEIPT', headers: { 'receipt-id': 'r-1' }, body: '' },
    ]);
  });

  it('keeps the first of repeated headers and refuses an oversized frame', () => {
    expect(new FrameReader().push(Buffer.from('MESSAGE\nx:1\nx:2\n\n\0'))[0]!.headers).toEqual({ x: '1' });
    expect(() => new FrameReader().push(Buffer.alloc(2 * 1024 * 1024, 0x41))).toThrow(/STOMP frame over/);
  });
});

describe('Ledger', () => {
  it('counts acknowledged, lost, in doubt, duplicated and out of order', () => {
    const l = new Ledger();
    for (let seq = 0; seq < 6; seq++) l.recordSent({ producer: 'p', seq });
    for (const seq of [0, 1, 2, 3]) l.recordAcknowledged({ producer: 'p', seq });
    l.recordDelivery('c0', { producer: 'p', seq: 0, redelivered: false });
    l.recordDelivery('c0', { producer: 'p', seq: 2, redelivered: false });
    l.recordDelivery('c0', { producer: 'p', seq: 1, redelivered: false }); // out of order
    l.recordDelivery('c1', { producer: 'p', seq: 0, redelivered: true }); // duplicate
    l.recordDelivery('c1', { producer: 'p', seq: 4, redelivered: false }); // in doubt, arrived
    expect(l.counts()).toEqual({
      sent: 6, acknowledged: 4, inDoubt: 2, inDoubtReceived: 1, received: 4, deliveries: 5, duplicated: 1, lost: 1, outOfOrder: 1,
    });
    expect(l.missing()).toEqual(['p#3']);
  });

  it('does not count a redelivery or another consumer\'s stream as out of order', () => {
    const l = new Ledger();
    l.recordDelivery('c0', { producer: 'p', seq: 5, redelivered: false });
    l.recordDelivery('c0', { producer: 'p', seq: 3, redelivered: true });
    l.recordDelivery('c1', { producer: 'p', seq: 4, redelivered: false });
    expect(l.counts().outOfOrder).toBe(0);
  });
});

describe('distributionOf', () => {
  it('gives nearest-rank min, median, p90 and max', () => {
    expect(distributionOf([5, 1, 4, 2, 3, 6, 7, 8, 9, 10])).toEqual({ count: 10, min: 1, median: 5, p90: 9, max: 10 });
    expect(distributionOf([])).toEqual({ count: 0, min: undefined, median: undefined, p90: undefined, max: undefined });
  });
});

describe('parseDrillArgs', () => {
  it('local by default; flags in both spellings; a remote pair from admin URLs and client addresses', () => {
    const local = parseDrillArgs(['--rate=50', '--repeat', '3', '--mode', 'graceful', '--strict', '--json', 'r.json'], ['stomp']);
    expect(local).toMatchObject({ repeat: 3, json: 'r.json', remote: undefined, settings: { rateMsgPerS: 50, mode: 'graceful', strict: true } });
    const remote = parseDrillArgs(['--admin-a', 'http://h1:8162/', '--admin-b', 'http://h2:8163', '--stomp-a', 'h1:61613', '--stomp-b', '[::1]:61613'], ['stomp']);
    expect(remote.remote).toEqual({
      nodes: [
        { name: 'a', adminUrl: 'http://h1:8162', addresses: { stomp: { host: 'h1', port: 61613 } } },
        { name: 'b', adminUrl: 'http://h2:8163', addresses: { stomp: { host: '::1', port: 61613 } } },
      ],
      protocols: ['stomp'],
    });
    expect(() => parseDrillArgs(['--mqtt-a', 'h:1'], ['stomp'])).toThrow('unknown flag --mqtt-a');
    expect(() => parseDrillArgs(['--producers', '0'], ['stomp'])).toThrow('--producers: expected an integer ≥ 1');
    expect(parseDrillArgs(['--warmup-ms', '0'], ['stomp']).settings.warmupMs).toBe(0);
    expect(() => parseHostPort('h:70000')).toThrow('expected host:port');
  });
});
