/**
 * Short ASCII strings decoded from frames, remembered by their bytes: the same ids and
 * destination names arrive in every frame of a connection (connection, producer and consumer
 * ids, message ids, queue names), and reusing the string skips making one (and its hash).
 * A fixed table; a slot holds the last string whose bytes hashed to it, checked byte for byte.
 */
const SLOTS = 1024;
/** Longer strings are made afresh: rarely repeated, and costlier to compare. */
export const MAX_REMEMBERED_LENGTH = 96;
/** The hash reads this many bytes from the end (ids differ in their last digits). */
const HASHED_TAIL = 16;
const table: string[] = new Array<string>(SLOTS).fill('');

/**
 * The string of `length` bytes at `offset` when they are all ASCII (below 0x80), else undefined.
 * `length` must be at most MAX_REMEMBERED_LENGTH and within `buf`.
 */
export function rememberedAscii(buf: Uint8Array, offset: number, length: number): string | undefined {
  const end = offset + length;
  let h = length;
  for (let i = Math.max(offset, end - HASHED_TAIL); i < end; i++) h = (Math.imul(h, 31) + buf[i]!) | 0;
  const slot = h & (SLOTS - 1);
  const known = table[slot]!;
  if (known.length === length) {
    // Equal to a remembered (ASCII) string: ASCII too.
    let i = 0;
    while (i < length && known.charCodeAt(i) === buf[offset + i]) i++;
    if (i === length) return known;
  }
  for (let i = offset; i < end; i++) if (buf[i]! > 0x7f) return undefined;
  const s = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('latin1', offset, end);
  table[slot] = s;
  return s;
}
