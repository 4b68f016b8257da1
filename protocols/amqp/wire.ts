import { describedList, encode } from './codec.js';
import type { AmqpError } from './errors.js';
import { types, type Typed } from './rhea-engine.js';

/**
 * The few frames this adapter writes itself, outside rhea: the protocol header we answer a bad
 * one with, and the open + close that end a connection with an error once rhea's state cannot
 * be trusted (a frame it failed on) or was never reached (a bad header, an oversized frame).
 *
 * Frame layout (spec 2.3.1): u32 size (whole frame), u8 doff (header size in 4-byte words, 2),
 * u8 type (0 AMQP, 1 SASL), u16 channel, then the performative and any payload.
 */

export const PROTOCOL_ID = { amqp: 0, sasl: 3 } as const;

/** `AMQP` id 1 0 0 (spec 2.2). */
export function protocolHeader(protocolId: number): Buffer {
  return Buffer.from([0x41, 0x4d, 0x51, 0x50, protocolId, 1, 0, 0]);
}

export const FRAME_TYPE = { amqp: 0, sasl: 1 } as const;

export function frame(type: number, channel: number, performative: Typed): Buffer {
  const body = encode([performative]);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length, 0);
  header[4] = 2;
  header[5] = type;
  header.writeUInt16BE(channel, 6);
  return Buffer.concat([header, body]);
}

export function errorValue(e: AmqpError): Typed {
  const info = e.info
    ? types.Map32(Object.entries(e.info).flatMap(([k, v]) => [types.wrap_symbol(k), typeof v === 'string' ? types.wrap_symbol(v) : types.Null()]))
    : undefined;
  return describedList(0x1d, [types.wrap_symbol(e.condition), types.wrap_string(e.description), info]);
}

/** A minimal open (spec 2.7.1): only the mandatory container-id. */
export function openFrame(containerId: string): Buffer {
  return frame(FRAME_TYPE.amqp, 0, describedList(0x10, [types.wrap_string(containerId)]));
}

export function closeFrame(error: AmqpError): Buffer {
  return frame(FRAME_TYPE.amqp, 0, describedList(0x18, [errorValue(error)]));
}
