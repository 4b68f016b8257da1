import { describe, expect, it } from 'vitest';
import { parseSubprotocols, selectWebSocketAdapter } from '../../protocols/transports/index.js';

const stomp = { name: 'stomp', webSocketProtocols: ['v12.stomp', 'v11.stomp', 'v10.stomp', 'stomp'] };
const mqtt = { name: 'mqtt', webSocketProtocols: ['mqtt', 'mqttv3.1'] };
const amqp = { name: 'amqp', webSocketProtocols: ['amqp'] };
const all = [stomp, mqtt, amqp];

function pick(offered: string[], adapters = all): string | undefined {
  const c = selectWebSocketAdapter(offered, adapters);
  return c && `${c.adapter.name}/${c.protocol ?? '-'}`;
}

describe('selectWebSocketAdapter', () => {
  it('picks the highest STOMP version offered, whatever the order', () => {
    expect(pick(['v10.stomp', 'v11.stomp', 'v12.stomp'])).toBe('stomp/v12.stomp');
    expect(pick(['v12.stomp', 'v10.stomp'])).toBe('stomp/v12.stomp');
    expect(pick(['stomp', 'v10.stomp'])).toBe('stomp/v10.stomp');
    expect(pick(['stomp'])).toBe('stomp/stomp');
  });

  it('routes by subprotocol and skips unknown ones', () => {
    expect(pick(['mqtt'])).toBe('mqtt/mqtt');
    expect(pick(['x-foo', 'mqttv3.1'])).toBe('mqtt/mqttv3.1');
    expect(pick(['amqp'])).toBe('amqp/amqp');
  });

  it("lets the client's first known subprotocol choose the adapter", () => {
    expect(pick(['mqtt', 'v12.stomp'])).toBe('mqtt/mqtt');
    expect(pick(['v12.stomp', 'mqtt'])).toBe('stomp/v12.stomp');
  });

  it("matches case-insensitively and confirms the client's spelling", () => {
    expect(pick(['V12.STOMP'])).toBe('stomp/V12.STOMP');
  });

  it('without a known subprotocol uses the only adapter, else chooses none', () => {
    expect(pick([], [stomp])).toBe('stomp/-');
    expect(pick(['x-unknown'], [stomp])).toBe('stomp/-');
    expect(pick([], all)).toBeUndefined();
    expect(pick(['x-unknown'], all)).toBeUndefined();
  });
});

describe('parseSubprotocols', () => {
  it('splits the header on commas and trims', () => {
    expect(parseSubprotocols('v10.stomp, v11.stomp,v12.stomp')).toEqual(['v10.stomp', 'v11.stomp', 'v12.stomp']);
    expect(parseSubprotocols(undefined)).toEqual([]);
    expect(parseSubprotocols(' , ')).toEqual([]);
  });
});
