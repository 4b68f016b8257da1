/**
 * A Java long on the wire. Decoded as a number while it is a safe integer (every real id,
 * sequence, timestamp), else as a bigint (e.g. MaxFrameSize = Long.MAX_VALUE).
 */
export type Long = number | bigint;

const TWO_32 = 4294967296;

export function longFromParts(hi: number, lo: number): Long {
  const v = hi * TWO_32 + lo;
  if (Number.isSafeInteger(v)) return v;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Splits a long into its signed high and unsigned low 32 bits. */
export function longParts(v: Long): [hi: number, lo: number] {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new RangeError(`not a safe integer for a long: ${v}`);
    const hi = Math.floor(v / TWO_32);
    return [hi, v - hi * TWO_32];
  }
  const n = BigInt.asIntN(64, v);
  return [Number(n >> 32n), Number(n & 0xffffffffn)];
}

/** As a JS number (saturating for huge values, which only appear in options). */
export function longToNumber(v: Long): number {
  return typeof v === 'number' ? v : Number(v);
}
