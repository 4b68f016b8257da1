import type { HeaderList, HeaderSink, StompVersion } from './frame.js';
import { encodeHeaderText, escapeOf, escapeTable } from './header-escaping.js';

const EMPTY = Buffer.alloc(0);
/**
 * Called through the prototype: header text comes in every string representation V8 has (flat,
 * sliced, concatenated...), and `text.charCodeAt` would be a megamorphic lookup for each character.
 */
const charCodeAt = String.prototype.charCodeAt;
const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;

/** A heart-beat: one EOL. */
export const HEARTBEAT = '\n';

/**
 * escapeTable() as bytes, indexed by ASCII code: 0 keeps the character, SPACE replaces it with a
 * space, anything else is the character to write after a backslash.
 */
const SPACE = 0x20;
function byteEscapes(version: StompVersion | undefined): Uint8Array {
  const table = new Uint8Array(0x80);
  for (const c of [0x5c, LF, CR, COLON]) {
    const replacement = escapeOf(escapeTable(version), c);
    if (replacement !== undefined) table[c] = replacement === ' ' ? SPACE : replacement.charCodeAt(1);
  }
  return table;
}
const BYTE_ESCAPES = { none: byteEscapes(undefined), '1.0': byteEscapes('1.0'), '1.1': byteEscapes('1.1'), '1.2': byteEscapes('1.2') };

/** Bytes appended at the end of a buffer that grows (by copying) as needed. */
export class ByteBuffer {
  bytes: Buffer;
  length = 0;

  constructor(initialBytes: number) {
    this.bytes = Buffer.allocUnsafe(initialBytes);
  }

  /** Makes room for `n` more bytes; returns the buffer to write them into, at `length`. */
  reserve(n: number): Buffer {
    if (this.length + n > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + n));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    return this.bytes;
  }

  append(data: Uint8Array): void {
    this.reserve(data.length).set(data, this.length);
    this.length += data.length;
  }
}

/**
 * Encodes frames into a ByteBuffer: command, headers escaped for `version` (undefined: CONNECTED,
 * never escaped), a blank line, the body and NUL. content-length is added when asked for (ActiveMQ
 * sends it for bytes bodies) or when the body holds a NUL, which could not be framed otherwise; a
 * content-length header handed in is ignored.
 *
 * Header text is escaped and encoded straight into the target, without intermediate strings: this
 * runs for every MESSAGE and RECEIPT. One frame at a time: begin, header..., end.
 */
export class FrameWriter implements HeaderSink {
  private out: ByteBuffer = new ByteBuffer(0);
  private version: StompVersion | undefined;
  private escapes: Uint8Array = BYTE_ESCAPES.none;

  begin(out: ByteBuffer, command: string, version: StompVersion | undefined): this {
    this.out = out;
    this.version = version;
    this.escapes = BYTE_ESCAPES[version ?? 'none'];
    this.text(command, BYTE_ESCAPES.none);
    this.byte(LF);
    return this;
  }

  header(name: string, value: string): void {
    if (name === 'content-length') return;
    this.text(name, this.escapes);
    this.byte(COLON);
    this.text(value, this.escapes);
    this.byte(LF);
  }

  end(body: Uint8Array = EMPTY, withContentLength = false): void {
    if (withContentLength || body.includes(0)) {
      this.text(`content-length:${body.length}`, BYTE_ESCAPES.none);
      this.byte(LF);
    }
    this.byte(LF);
    const out = this.out;
    const bytes = out.reserve(body.length + 1);
    bytes.set(body, out.length);
    out.length += body.length;
    bytes[out.length++] = 0;
  }

  private byte(b: number): void {
    const out = this.out;
    out.reserve(1)[out.length++] = b;
  }

  /** Appends `text` escaped: ASCII byte by byte, anything else through the UTF-8 encoder. */
  private text(text: string, escapes: Uint8Array): void {
    const out = this.out;
    const length = text.length;
    // An escape takes 2 bytes, a UTF-16 unit at most 3 in UTF-8.
    const bytes = out.reserve(length * 3);
    let at = out.length;
    for (let i = 0; i < length; i++) {
      const c = charCodeAt.call(text, i);
      if (c >= 0x80) {
        const version = escapes === BYTE_ESCAPES.none ? undefined : this.version;
        out.length += bytes.write(encodeHeaderText(text, version), out.length, 'utf8');
        return;
      }
      const escape = escapes[c]!;
      if (escape === 0) {
        bytes[at++] = c;
      } else if (escape === SPACE) {
        bytes[at++] = SPACE;
      } else {
        bytes[at++] = 0x5c;
        bytes[at++] = escape;
      }
    }
    out.length = at;
  }
}

const writer = new FrameWriter();

/** Encodes one frame from a header list, into a buffer of its own. */
export function encodeFrame(
  command: string,
  headers: HeaderList,
  body: Uint8Array = EMPTY,
  version: StompVersion | undefined = undefined,
  withContentLength = false,
): Buffer {
  const out = new ByteBuffer(256 + body.length);
  writer.begin(out, command, version);
  for (const [name, value] of headers) writer.header(name, value);
  writer.end(body, withContentLength);
  return out.bytes.subarray(0, out.length);
}
