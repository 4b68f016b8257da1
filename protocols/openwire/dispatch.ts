import type { CoreMessage, Delivery } from '../../src/spi/index.js';
import type { BrokerContext } from './broker-context.js';
import type { ConsumerInfo, Message, MessageDispatch } from './codec/commands.js';
import { longParts } from './codec/long.js';
import { decodePrimitiveMap } from './codec/primitive-map.js';
import { T } from './codec/type-codes.js';
import {
  addressDestination, foreignMessage, NATIVE_PROTOCOL, nativeInfo, nativeMessage, OpenWireNative, type NativeInfo,
} from './mapping.js';

/** How many neutral properties a native message maps to (nested maps and lists have none). */
function neutralPropertyCount(m: Message): number {
  if (!m.marshalledProperties) return 0;
  return decodePrimitiveMap(m.marshalledProperties).filter(([, v]) => v.t !== 'map' && v.t !== 'list').length;
}

function nativeInfoOf(broker: BrokerContext, native: NonNullable<CoreMessage['native']>): NativeInfo {
  if (native instanceof OpenWireNative) return native.info;
  const { message, fieldEnds } = broker.decodeNative(native.data);
  return nativeInfo(message, fieldEnds, neutralPropertyCount(message));
}

/**
 * A core delivery as a MessageDispatch: `seq` becomes the message's brokerSequenceId (which
 * acks name it by); the redelivery counter is the delivery count so far.
 */
export function deliveryDispatch(broker: BrokerContext, consumer: ConsumerInfo, d: Pick<Delivery, 'message' | 'deliveryCount'>, seq: number): MessageDispatch {
  const c = d.message;
  const m = c.native?.protocol === NATIVE_PROTOCOL
    ? nativeMessage(c, broker.decodeNative(c.native.data).message, nativeInfoOf(broker, c.native), broker.temps)
    : foreignMessage(c, broker.temps);
  m.messageId = m.messageId
    ? { ...m.messageId, brokerSequenceId: seq }
    : {
        typeCode: T.MESSAGE_ID, textView: c.messageId, producerId: broker.brokerProducerId,
        producerSequenceId: seq, brokerSequenceId: seq,
      };
  m.redeliveryCounter = d.deliveryCount - 1;
  m.brokerOutTime = Date.now();
  return {
    typeCode: T.MESSAGE_DISPATCH, commandId: 0, responseRequired: false, consumerId: consumer.consumerId,
    destination: consumer.destination, message: m, redeliveryCounter: d.deliveryCount - 1,
  };
}

function putLong(buf: Buffer, at: number, v: number): void {
  const [hi, lo] = longParts(v);
  buf.writeInt32BE(hi, at);
  buf.writeUInt32BE(lo, at + 4);
}

/**
 * The fast path, for loose v12 consumers of OpenWire-produced messages the core did not change
 * (same destination, no dead-letter origin, same properties): the producer's bytes copied once
 * behind this consumer's dispatch header, with the broker's fields patched in place —
 * brokerSequenceId, redeliveryCounter, brokerOutTime, and expiry and priority as the core has them.
 * `prefix` is the encoded dispatch up to the message (type, header, consumerId, destination).
 * Undefined when the message does not qualify.
 */
export function patchedDispatchFrame(broker: BrokerContext, prefix: Buffer, d: Delivery, seq: number): Buffer | undefined {
  const c: CoreMessage = d.message;
  if (c.native?.protocol !== NATIVE_PROTOCOL || c.originalDestination) return undefined;
  const native = c.native.data;
  const info = nativeInfoOf(broker, c.native);
  const ends = info.patch;
  if (!ends || Object.keys(c.properties).length !== info.propertyCount) return undefined;
  const dest = addressDestination(c.address, broker.temps);
  if (dest.typeCode !== info.destination?.typeCode || dest.physicalName !== info.destination.physicalName) return undefined;
  const out = Buffer.allocUnsafe(4 + prefix.length + 1 + native.length + 4);
  out.writeInt32BE(out.length - 4, 0);
  prefix.copy(out, 4);
  const base = 4 + prefix.length + 1;
  out[base - 1] = 1;
  out.set(native, base);
  const redelivery = d.deliveryCount - 1;
  putLong(out, base + ends.messageId - 8, seq);
  putLong(out, base + ends.expiration - 8, c.expiration);
  out.writeInt8(c.priority, base + ends.priority - 1);
  out.writeInt32BE(redelivery, base + ends.redeliveryCounter - 4);
  putLong(out, base + ends.brokerOutTime - 8, Date.now());
  out.writeInt32BE(redelivery, out.length - 4);
  return out;
}
