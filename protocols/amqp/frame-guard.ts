import { checkValue } from './encoding-check.js';
import { AmqpProtocolError, CONDITION } from './errors.js';
import { FRAME_TYPE, PROTOCOL_ID } from './wire.js';

/**
 * Checks the inbound byte stream before rhea sees it, one unit (protocol header or frame) at a
 * time: rhea buffers any declared frame size, accepts any channel, trusts the counts inside the
 * encoding, and answers decoding failures by dropping the socket.
 *
 * It checks (spec 2.2, 2.3, 5.3): protocol headers (`AMQP` 0|3 1.0.0; SASL, then AMQP after
 * it, or AMQP alone), frame size within the limit (a smaller one until open is through), data
 * offset, frame type for the layer, channel within channel-max, a known performative (the SASL
 * frames a client may send; AMQP open first), and a well-formed performative encoding. Only
 * whole, checked units are passed on; a unit spanning chunks is assembled in one buffer of its
 * declared (and checked) size. It reports the points where the connection must wait before
 * passing more: after a protocol header and after a SASL frame.
 */

export type GuardEvent =
  | { kind: 'header'; protocolId: number }
  | { kind: 'sasl-frame'; code: number };

export interface ScanResult {
  /** Bytes of the chunk used. */
  consumed: number;
  /** Whole checked units for rhea (a slice of the chunk, or one assembled unit). */
  ready?: Buffer;
  /** A point the connection must act on before passing more bytes. */
  event?: GuardEvent;
}

export interface GuardLimits {
  maxFrameBytes: number;
  /** Until the peer's open has been read (SASL frames included). */
  preOpenMaxFrameBytes: number;
  channelMax: number;
}

/** A header that asks for what we do not speak: answer with this protocol id, then close. */
export class UnsupportedHeader extends Error {
  constructor(readonly answerProtocolId: number, description: string) {
    super(description);
    this.name = 'UnsupportedHeader';
  }
}

const AMQP_PERFORMATIVES: Record<number, string> = {
  0x10: 'open', 0x11: 'begin', 0x12: 'attach', 0x13: 'flow', 0x14: 'transfer',
  0x15: 'disposition', 0x16: 'detach', 0x17: 'end', 0x18: 'close',
};
/** The SASL frames a client sends (init, response); the others are the server's. */
const SASL_FROM_CLIENT: Record<number, string> = { 0x41: 'sasl-init', 0x43: 'sasl-response' };
const SASL_PERFORMATIVES: Record<number, string> = { 0x40: 'sasl-mechanisms', 0x42: 'sasl-challenge', 0x44: 'sasl-outcome', ...SASL_FROM_CLIENT };

const BY_NAME: Record<string, number> = Object.fromEntries(
  [...Object.entries(AMQP_PERFORMATIVES), ...Object.entries(SASL_PERFORMATIVES)].map(([code, name]) => [`amqp:${name}:list`, Number(code)]),
);

/** Protocol headers and frame headers are both 8 bytes. */
const HEAD_BYTES = 8;
const UNKNOWN = -1;

type Layer = 'none' | 'sasl' | 'amqp';

function isProtocolHeader(buf: Buffer, at: number): boolean {
  return buf[at] === 0x41 && buf[at + 1] === 0x4d && buf[at + 2] === 0x51 && buf[at + 3] === 0x50;
}

function framing(description: string): AmqpProtocolError {
  return new AmqpProtocolError(CONDITION.framingError, description);
}

export class FrameGuard {
  private layer: Layer = 'none';
  private opened = false;
  /** The first bytes of a unit spanning chunks, until its size is known. */
  private readonly head = Buffer.alloc(HEAD_BYTES);
  private headLen = 0;
  /** A unit spanning chunks, of its declared size. */
  private partial: Buffer | undefined;
  private partialLen = 0;

  constructor(private readonly limits: GuardLimits) {}

  /** Whether the peer's open frame has gone through. */
  get openSeen(): boolean {
    return this.opened;
  }

  /**
   * Examines `chunk` from `start`: returns the whole units found (up to the first event), or
   * takes bytes into the unit being assembled. Throws AmqpProtocolError (close with that
   * condition) or UnsupportedHeader (answer with a header and close).
   */
  scan(chunk: Buffer, start: number): ScanResult {
    if (this.partial || this.headLen > 0) return this.assemble(chunk, start);
    let at = start;
    let event: GuardEvent | undefined;
    while (chunk.length - at >= HEAD_BYTES) {
      const size = this.unitSize(chunk, at);
      if (chunk.length - at < size) break;
      event = this.unitDone(chunk.subarray(at, at + size));
      at += size;
      if (event) break;
    }
    if (at > start) return { consumed: at - start, ready: chunk.subarray(start, at), ...(event ? { event } : {}) };
    return this.assemble(chunk, start);
  }

  private assemble(chunk: Buffer, start: number): ScanResult {
    let at = start;
    if (!this.partial) {
      const n = Math.min(HEAD_BYTES - this.headLen, chunk.length - at);
      chunk.copy(this.head, this.headLen, at, at + n);
      this.headLen += n;
      at += n;
      if (this.headLen < HEAD_BYTES) return { consumed: at - start };
      this.partial = Buffer.allocUnsafe(this.unitSize(this.head, 0));
      this.head.copy(this.partial);
      this.partialLen = HEAD_BYTES;
      this.headLen = 0;
    }
    const n = Math.min(this.partial.length - this.partialLen, chunk.length - at);
    chunk.copy(this.partial, this.partialLen, at, at + n);
    this.partialLen += n;
    at += n;
    if (this.partialLen < this.partial.length) return { consumed: at - start };
    const unit = this.partial;
    this.partial = undefined;
    this.partialLen = 0;
    const event = this.unitDone(unit);
    return { consumed: at - start, ready: unit, ...(event ? { event } : {}) };
  }

  /** The size of the unit whose first 8 bytes are at `at`, after checking them (no state change). */
  private unitSize(buf: Buffer, at: number): number {
    if (isProtocolHeader(buf, at)) {
      this.checkProtocolHeader(buf, at);
      return HEAD_BYTES;
    }
    if (this.layer === 'none') throw new UnsupportedHeader(PROTOCOL_ID.sasl, 'not an AMQP protocol header');
    const size = buf.readUInt32BE(at);
    const doff = buf[at + 4]!;
    const type = buf[at + 5]!;
    const channel = buf.readUInt16BE(at + 6);
    const limit = this.opened ? this.limits.maxFrameBytes : this.limits.preOpenMaxFrameBytes;
    if (size < HEAD_BYTES) throw framing(`frame size ${size} is below the minimum of 8`);
    if (size > limit) throw framing(`frame size ${size} exceeds the maximum of ${limit}`);
    if (doff < 2) throw framing(`data offset ${doff} is below the minimum of 2`);
    if (doff * 4 > size) throw framing(`data offset ${doff} is beyond the frame`);
    const expectedType = this.layer === 'sasl' ? FRAME_TYPE.sasl : FRAME_TYPE.amqp;
    if (type !== expectedType) throw framing(`frame type ${type} in the ${this.layer} layer`);
    if (this.layer === 'amqp' && channel > this.limits.channelMax) throw framing(`channel ${channel} exceeds channel-max ${this.limits.channelMax}`);
    return size;
  }

  private checkProtocolHeader(buf: Buffer, at: number): void {
    const [id, major, minor, revision] = [buf[at + 4]!, buf[at + 5]!, buf[at + 6]!, buf[at + 7]!];
    if ((id !== PROTOCOL_ID.amqp && id !== PROTOCOL_ID.sasl) || major !== 1 || minor !== 0 || revision !== 0) {
      const answer = id === PROTOCOL_ID.amqp ? PROTOCOL_ID.amqp : PROTOCOL_ID.sasl;
      throw new UnsupportedHeader(answer, `unsupported protocol header AMQP ${id} ${major}.${minor}.${revision}`);
    }
    if (this.layer === 'amqp' || (this.layer === 'sasl' && id !== PROTOCOL_ID.amqp)) throw framing('unexpected protocol header');
  }

  /** A whole unit: checks its contents and moves the state on; returns the event it makes. */
  private unitDone(unit: Buffer): GuardEvent | undefined {
    if (isProtocolHeader(unit, 0)) {
      const id = unit[4]!;
      this.layer = id === PROTOCOL_ID.sasl ? 'sasl' : 'amqp';
      return { kind: 'header', protocolId: id };
    }
    const bodyAt = unit[4]! * 4;
    if (bodyAt === unit.length) {
      // An empty frame: a heartbeat (AMQP only).
      if (this.layer === 'sasl') throw framing('empty SASL frame');
      return undefined;
    }
    const code = this.performativeCode(unit, bodyAt);
    const known = this.layer === 'sasl' ? SASL_PERFORMATIVES : AMQP_PERFORMATIVES;
    if (!(code in known)) {
      throw new AmqpProtocolError(CONDITION.notImplemented, `unknown ${this.layer} performative ${code === UNKNOWN ? '' : `0x${code.toString(16)}`}`.trim());
    }
    if (this.layer === 'sasl' && !(code in SASL_FROM_CLIENT)) {
      throw new AmqpProtocolError(CONDITION.notAllowed, `a client may not send ${SASL_PERFORMATIVES[code]}`);
    }
    if (this.layer === 'amqp' && !this.opened && code !== 0x10) {
      throw new AmqpProtocolError(CONDITION.illegalState, `${AMQP_PERFORMATIVES[code]} before open`);
    }
    // The performative must decode safely; what follows it is a transfer's payload.
    checkValue(unit, bodyAt, unit.length);
    if (this.layer === 'amqp' && code === 0x10) this.opened = true;
    return this.layer === 'sasl' ? { kind: 'sasl-frame', code } : undefined;
  }

  /** The descriptor code of the performative at `at`; UNKNOWN if not a known form. */
  private performativeCode(unit: Buffer, at: number): number {
    const byte = (k: number): number => {
      if (at + k >= unit.length) throw new AmqpProtocolError(CONDITION.decodeError, 'frame ends inside the performative descriptor');
      return unit[at + k]!;
    };
    if (byte(0) !== 0x00) throw new AmqpProtocolError(CONDITION.decodeError, 'the frame body is not a described type');
    switch (byte(1)) {
      case 0x53: return byte(2);
      case 0x80:
        byte(9);
        return unit.readUInt32BE(at + 2) === 0 ? unit.readUInt32BE(at + 6) : UNKNOWN;
      case 0xa3: {
        const len = byte(2);
        byte(2 + len);
        return BY_NAME[unit.toString('latin1', at + 3, at + 3 + len)] ?? UNKNOWN;
      }
      case 0x44: return UNKNOWN;
      default: throw new AmqpProtocolError(CONDITION.decodeError, 'malformed performative descriptor');
    }
  }
}
