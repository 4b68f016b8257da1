/**
 * Writes `s` at `pos` if it is ASCII and at most `maxChars` long; returns the bytes written, or
 * -1 (having written garbage, to be overwritten) when it is not. Byte by byte, for the short ids and
 * names of the hot paths: Buffer#write and Buffer.byteLength cost more to call than this loop.
 * The caller makes room for `s.length` bytes.
 */
export function writeShortAscii(buf: Uint8Array, pos: number, s: string, maxChars = 64): number {
  const n = s.length;
  if (n > maxChars) return -1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return -1;
    buf[pos + i] = c;
  }
  return n;
}
