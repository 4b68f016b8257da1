import { MAX_REMEMBERED_LENGTH, rememberedAscii } from './ascii-strings.js';
import { CodecError } from './codec-error.js';

/**
 * Java's modified UTF-8 (DataOutput.writeUTF): U+0000 as C0 80, astral characters as two
 * 3-byte surrogates. ASCII without NUL is the same as UTF-8, which is the fast path.
 */

/** True when every UTF-16 unit is in U+0001..U+007F (encodes to one byte each, tight "ascii"). */
export function isJavaAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c > 0x7f) return false;
  }
  return true;
}

export function mutf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x0001 && c <= 0x007f) n += 1;
    else if (c > 0x07ff) n += 3;
    else n += 2;
  }
  return n;
}

/** Writes `s` at `offset` (the caller made room: mutf8Length bytes); returns the new offset. */
export function writeMutf8(buf: Uint8Array, offset: number, s: string): number {
  let o = offset;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x0001 && c <= 0x007f) {
      buf[o++] = c;
    } else if (c > 0x07ff) {
      buf[o++] = 0xe0 | ((c >> 12) & 0x0f);
      buf[o++] = 0x80 | ((c >> 6) & 0x3f);
      buf[o++] = 0x80 | (c & 0x3f);
    } else {
      buf[o++] = 0xc0 | ((c >> 6) & 0x1f);
      buf[o++] = 0x80 | (c & 0x3f);
    }
  }
  return o;
}

/** Decodes `length` bytes at `offset` as Java's readUTF does; malformed input throws CodecError. */
export function decodeMutf8(buf: Buffer, offset: number, length: number): string {
  if (length <= MAX_REMEMBERED_LENGTH) {
    const s = rememberedAscii(buf, offset, length);
    if (s !== undefined) return s;
  }
  const end = offset + length;
  let ascii = true;
  for (let i = offset; i < end; i++) {
    if (buf[i]! & 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return buf.toString('latin1', offset, end);
  const units: number[] = [];
  let out = '';
  let i = offset;
  while (i < end) {
    const a = buf[i]!;
    switch (a >> 4) {
      case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
        units.push(a);
        i += 1;
        break;
      case 12: case 13: {
        if (i + 2 > end) throw new CodecError('malformed modified UTF-8: partial character at end');
        const b = buf[i + 1]!;
        if ((b & 0xc0) !== 0x80) throw new CodecError('malformed modified UTF-8');
        units.push(((a & 0x1f) << 6) | (b & 0x3f));
        i += 2;
        break;
      }
      case 14: {
        if (i + 3 > end) throw new CodecError('malformed modified UTF-8: partial character at end');
        const b = buf[i + 1]!;
        const c = buf[i + 2]!;
        if ((b & 0xc0) !== 0x80 || (c & 0xc0) !== 0x80) throw new CodecError('malformed modified UTF-8');
        units.push(((a & 0x0f) << 12) | ((b & 0x3f) << 6) | (c & 0x3f));
        i += 3;
        break;
      }
      default:
        throw new CodecError('malformed modified UTF-8');
    }
    if (units.length >= 4096) {
      out += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return out + String.fromCharCode(...units);
}
