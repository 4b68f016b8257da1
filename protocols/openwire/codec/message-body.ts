import { inflateSync } from 'node:zlib';
import { CodecError } from './codec-error.js';
import { DataReader } from './data-reader.js';
import { mutf8Length, writeMutf8 } from './mutf8.js';
import { T } from './type-codes.js';

/**
 * Message `content` by message type (docs/openwire.md §9.2, §9.5). Text: int length + modified
 * UTF-8. Bytes: raw. Map: primitive map. Stream: typed values. Object: Java serialization, kept
 * opaque (never deserialized). Compressed bodies are zlib; BytesMessage puts the uncompressed
 * length in front of its zlib stream.
 */

/** The content with compression undone, at most `maxBytes` long (the inflated size is bounded too). */
export function uncompressedContent(typeCode: number, content: Uint8Array, compressed: boolean, maxBytes: number): Uint8Array {
  if (!compressed) return content;
  let input = content;
  if (typeCode === T.ACTIVEMQ_BYTES_MESSAGE) {
    if (content.length < 4) throw new CodecError('compressed BytesMessage body shorter than its length prefix');
    const declared = Buffer.from(content.buffer, content.byteOffset, 4).readInt32BE(0);
    if (declared < 0 || declared > maxBytes) throw new CodecError(`compressed body declares ${declared} bytes`);
    input = content.subarray(4);
  }
  try {
    return inflateSync(input, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (e) {
    throw new CodecError(`cannot inflate a compressed body: ${(e as Error).message}`);
  }
}

/** TextMessage content (uncompressed) → the text. */
export function decodeTextContent(raw: Uint8Array): string {
  const r = new DataReader(Buffer.from(raw.buffer, raw.byteOffset, raw.length));
  const n = r.i32();
  if (n < 0) throw new CodecError(`negative text length ${n}`);
  const text = r.mutf8(n);
  if (r.remaining !== 0) throw new CodecError('bytes after the end of a text body');
  return text;
}

/** The text → TextMessage content (uncompressed). */
export function encodeTextContent(text: string): Uint8Array {
  const n = mutf8Length(text);
  const out = Buffer.allocUnsafe(4 + n);
  out.writeInt32BE(n, 0);
  writeMutf8(out, 4, text);
  return out;
}
