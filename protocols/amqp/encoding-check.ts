import { AmqpProtocolError, CONDITION } from './errors.js';

/**
 * Checks that bytes are a well-formed AMQP encoding (spec 1.2 - 1.6) before rhea decodes them:
 * every constructor known, every size and count within its enclosing value, compounds filled
 * exactly, nesting bounded. rhea trusts counts (`new Array(count)` for a list32 claiming 4
 * billion items stalls the process) and recurses without a limit; after this check its decoding
 * is bounded by the input size. Linear in the bytes, no allocation.
 */

/** Deeper nesting than any performative or sane message needs. */
export const MAX_NESTING = 32;
/** Elements of zero-width type an array may hold beyond its byte size (arrays of nulls or booleans). */
const MAX_EXTRA_ZERO_WIDTH_ELEMENTS = 1024;

/** Fixed widths by typecode; -1: size-prefixed (1 or 4 byte size); -2: compound; -3: array. */
const WIDTH = new Map<number, number>([
  [0x40, 0], [0x41, 0], [0x42, 0], [0x43, 0], [0x44, 0], [0x45, 0],
  [0x50, 1], [0x51, 1], [0x52, 1], [0x53, 1], [0x54, 1], [0x55, 1], [0x56, 1],
  [0x60, 2], [0x61, 2],
  [0x70, 4], [0x71, 4], [0x72, 4], [0x73, 4], [0x74, 4],
  [0x80, 8], [0x81, 8], [0x82, 8], [0x83, 8], [0x84, 8],
  [0x94, 16], [0x98, 16],
  [0xa0, -1], [0xa1, -1], [0xa3, -1], [0xb0, -1], [0xb1, -1], [0xb3, -1],
  [0xc0, -2], [0xc1, -2], [0xd0, -2], [0xd1, -2],
  [0xe0, -3], [0xf0, -3],
]);

function malformed(description: string): AmqpProtocolError {
  return new AmqpProtocolError(CONDITION.decodeError, `malformed encoding: ${description}`);
}

function need(at: number, n: number, end: number): void {
  if (at + n > end) throw malformed('a value runs past its end');
}

/** Reads a constructor (descriptors included); returns [typecode, offset after it]. */
function constructorAt(buf: Buffer, at: number, end: number, depth: number): [number, number] {
  need(at, 1, end);
  let code = buf[at]!;
  let p = at + 1;
  let descriptors = 0;
  while (code === 0x00) {
    if (++descriptors + depth > MAX_NESTING) throw malformed('descriptors nest too deep');
    p = checkValue(buf, p, end, depth + descriptors);
    need(p, 1, end);
    code = buf[p]!;
    p++;
  }
  if (!WIDTH.has(code)) throw malformed(`unknown typecode 0x${code.toString(16)}`);
  return [code, p];
}

/** The bytes of a size or count field of the typecode's width class (1 byte for 0xa_/0xc_/0xe_). */
function sizeWidth(code: number): number {
  return (code & 0xf0) === 0xa0 || (code & 0xf0) === 0xc0 || (code & 0xf0) === 0xe0 ? 1 : 4;
}

function readCount(buf: Buffer, at: number, width: number): number {
  return width === 1 ? buf[at]! : buf.readUInt32BE(at);
}

/** Checks the value after its constructor; returns its end. */
function checkPayload(buf: Buffer, code: number, at: number, end: number, depth: number): number {
  const width = WIDTH.get(code)!;
  if (width >= 0) {
    need(at, width, end);
    return at + width;
  }
  const w = sizeWidth(code);
  need(at, w, end);
  const size = readCount(buf, at, w);
  const contentStart = at + w;
  need(contentStart, size, end);
  const contentEnd = contentStart + size;
  if (width === -1) return contentEnd;
  if (depth >= MAX_NESTING) throw malformed('values nest too deep');
  if (size < w) throw malformed('a compound smaller than its count');
  const count = readCount(buf, contentStart, w);
  let p = contentStart + w;
  if (width === -2) {
    // Every item takes at least one byte (its constructor).
    if (count > contentEnd - p) throw malformed('a compound counts more items than it has bytes');
    for (let i = 0; i < count; i++) p = checkValue(buf, p, contentEnd, depth + 1);
  } else {
    const [elementCode, afterConstructor] = constructorAt(buf, p, contentEnd, depth + 1);
    p = afterConstructor;
    const elementWidth = WIDTH.get(elementCode)!;
    const room = contentEnd - p;
    if (elementWidth > 0 ? count * elementWidth > room : count > room + MAX_EXTRA_ZERO_WIDTH_ELEMENTS) {
      throw malformed('an array counts more elements than it has bytes');
    }
    for (let i = 0; i < count; i++) p = checkPayload(buf, elementCode, p, contentEnd, depth + 1);
  }
  if (p !== contentEnd) throw malformed('a compound whose items do not fill it');
  return contentEnd;
}

/** Checks one encoded value at `at`, within `end`; returns where it ends. Throws decode-error. */
export function checkValue(buf: Buffer, at: number, end: number, depth = 0): number {
  const [code, p] = constructorAt(buf, at, end, depth);
  return checkPayload(buf, code, p, end, depth);
}

/** Checks a sequence of encoded values filling `buf` (e.g. the sections of a message). */
export function checkValues(buf: Buffer): void {
  let at = 0;
  while (at < buf.length) at = checkValue(buf, at, buf.length);
}
