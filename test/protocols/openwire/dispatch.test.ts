import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { CoreMessage, Delivery } from '../../../src/spi/index.js';
import { BrokerContext } from '../../../protocols/openwire/broker-context.js';
import type { Message, MessageDispatch } from '../../../protocols/openwire/codec/commands.js';
import { LOOSE_V12, OpenWireFormat } from '../../../protocols/openwire/codec/open-wire-format.js';
import { T } from '../../../protocols/openwire/codec/type-codes.js';
import { OPENWIRE_DEFAULTS } from '../../../protocols/openwire/config.js';
import { deliveryDispatch, patchedDispatchFrame } from '../../../protocols/openwire/dispatch.js';
import { toOutgoing } from '../../../protocols/openwire/mapping.js';
import { directionFrames, hexBytes, loadScenarios } from './vectors.js';

const format = new OpenWireFormat(LOOSE_V12);
const broker = new BrokerContext({ brokerName: 'test' } as never, OPENWIRE_DEFAULTS, pino({ level: 'silent' }));

/** Every message a client sent in the loose captures, as the core would hand it back. */
function deliveries(): Array<{ d: Delivery; native: Buffer }> {
  const out: Array<{ d: Delivery; native: Buffer }> = [];
  for (const s of loadScenarios('loose')) {
    for (const c of s.connections) {
      for (const f of directionFrames(c, 'c2b')) {
        if (f.type < T.ACTIVEMQ_MESSAGE || f.type > T.ACTIVEMQ_TEXT_MESSAGE) continue;
        const native = hexBytes(f.hex).subarray(4);
        const { message, fieldEnds } = broker.decodeNative(native);
        const outgoing = toOutgoing(message, native, fieldEnds, broker.temps, OPENWIRE_DEFAULTS);
        const core: CoreMessage = {
          ...outgoing, messageId: outgoing.messageId!, timestamp: outgoing.timestamp ?? 0,
          address: { name: message.destination!.physicalName!, routing: message.destination!.typeCode === T.ACTIVEMQ_QUEUE ? 'anycast' : 'multicast' },
        };
        const d: Delivery = { id: 1, consumerId: 1, message: core, deliveryCount: 3, redelivered: true, subscription: core.address };
        out.push({ d, native });
      }
    }
  }
  return out;
}

describe('dispatching an OpenWire message', () => {
  const consumer = {
    consumerId: { typeCode: T.CONSUMER_ID, connectionId: 'ID:c:1', sessionId: 1, value: 2 },
    destination: { typeCode: T.ACTIVEMQ_QUEUE, physicalName: 'q' },
  } as never;

  it('patches the producer bytes into the same frame a full encode gives', () => {
    const all = deliveries().filter(({ d }) => d.message.address.routing === 'anycast');
    expect(all.length).toBeGreaterThan(10);
    const empty = format.encode({ typeCode: T.MESSAGE_DISPATCH, commandId: 0, responseRequired: false, ...(consumer as object), message: null, redeliveryCounter: 0 } as MessageDispatch);
    const prefix = empty.subarray(4, empty.length - 5);
    for (const [i, { d }] of all.entries()) {
      const patched = patchedDispatchFrame(broker, prefix, d, 1000 + i);
      expect(patched, `message ${i}`).toBeDefined();
      const full = deliveryDispatch(broker, consumer, d, 1000 + i);
      const viaPatch = format.decode(patched!.subarray(4)) as MessageDispatch;
      // brokerOutTime is "now" in both: take it from the patched one.
      full.message!.brokerOutTime = viaPatch.message!.brokerOutTime;
      expect(patched!.toString('hex'), `message ${i}`).toBe(format.encode(full).toString('hex'));
      expect(Number(viaPatch.message!.messageId!.brokerSequenceId)).toBe(1000 + i);
      expect(viaPatch.redeliveryCounter).toBe(2);
      expect((viaPatch.message as Message).redeliveryCounter).toBe(2);
    }
  });

  it('re-encodes a message the core changed (dead-lettered: new address, origin, added property)', () => {
    const { d } = deliveries()[0]!;
    const dead: Delivery = {
      ...d,
      message: {
        ...d.message, address: { name: 'ActiveMQ.DLQ', routing: 'anycast' }, originalDestination: d.message.address, expiration: 0,
        properties: { ...d.message.properties, dlqDeliveryFailureCause: 'poison' },
      },
    };
    expect(patchedDispatchFrame(broker, Buffer.alloc(0), dead, 1)).toBeUndefined();
    const m = deliveryDispatch(broker, consumer, dead, 7).message!;
    expect(m.destination).toEqual({ typeCode: T.ACTIVEMQ_QUEUE, physicalName: 'ActiveMQ.DLQ' });
    expect(m.originalDestination?.physicalName).toBe(d.message.address.name);
    expect(Number(m.expiration)).toBe(0);
    const again = format.decode(format.encode(m).subarray(4)) as Message;
    expect(Buffer.from(again.marshalledProperties!).includes(Buffer.from('dlqDeliveryFailureCause'))).toBe(true);
  });
});
