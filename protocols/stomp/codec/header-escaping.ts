import type { InboundFrame, RawFrame, StompVersion } from './frame.js';

/**
 * Header escaping per version. STOMP 1.1 escapes `\\`, `\n` (LF) and `\c` (colon); 1.2 adds `\r`
 * (CR). STOMP 1.0 has none, and CONNECT / CONNECTED frames are never escaped (pass `undefined`).
 *
 * Decoding follows ActiveMQ 5.x (StompWireFormat.decodeHeader): an undefined escape sequence is
 * kept as it is rather than failing the connection, so clients that worked against ActiveMQ keep
 * working. 1.0 values are trimmed, as ActiveMQ does.
 */

export function decodeHeaderText(raw: string, version: StompVersion | undefined): string {
  if (version === undefined) return raw;
  if (version === '1.0') return raw.trim();
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== '\\' || i + 1 >= raw.length) {
      out += c;
      continue;
    }
    const next = raw[i + 1];
    const decoded = next === 'n' ? '\n' : next === 'c' ? ':' : next === '\\' ? '\\' : next === 'r' && version === '1.2' ? '\r' : undefined;
    if (decoded === undefined) {
      out += c;
    } else {
      out += decoded;
      i++;
    }
  }
  return out;
}

/**
 * What each character that can need escaping becomes, per version (undefined: kept as it is):
 * backslash, LF, CR, colon. 1.0 and CONNECTED have no escaping, so an EOL inside a value (which
 * would end the header line and let a value inject headers or frames) becomes a space; 1.1 has no
 * escape for CR: a space too.
 */
type Escape = string | undefined;
export type EscapeTable = readonly [backslash: Escape, lf: Escape, cr: Escape, colon: Escape];
const UNESCAPED: EscapeTable = [undefined, ' ', ' ', undefined];
const ESCAPES_11: EscapeTable = ['\\\\', '\\n', ' ', '\\c'];
const ESCAPES_12: EscapeTable = ['\\\\', '\\n', '\\r', '\\c'];

export function escapeTable(version: StompVersion | undefined): EscapeTable {
  return version === '1.2' ? ESCAPES_12 : version === '1.1' ? ESCAPES_11 : UNESCAPED;
}

/** What `charCode` becomes under `table`; undefined when it is written as it is. */
export function escapeOf(table: EscapeTable, charCode: number): string | undefined {
  switch (charCode) {
    case 0x5c: return table[0];
    case 0x0a: return table[1];
    case 0x0d: return table[2];
    case 0x3a: return table[3];
    default: return undefined;
  }
}

export function encodeHeaderText(text: string, version: StompVersion | undefined): string {
  const table = escapeTable(version);
  let out = '';
  let copiedTo = 0;
  for (let i = 0; i < text.length; i++) {
    const replacement = escapeOf(table, text.charCodeAt(i));
    if (replacement === undefined) continue;
    out += text.slice(copiedTo, i) + replacement;
    copiedTo = i + 1;
  }
  return copiedTo === 0 ? text : out + text.slice(copiedTo);
}

/** Unescapes a decoded frame's headers for `version`; of repeated names the first one wins. */
export function unescapeFrame(raw: RawFrame, version: StompVersion | undefined): InboundFrame {
  const headers = new Map<string, string>();
  for (const [name, value] of raw.headers) {
    const decodedName = decodeHeaderText(name, version);
    if (!headers.has(decodedName)) headers.set(decodedName, decodeHeaderText(value, version));
  }
  return { command: raw.command, headers, body: raw.body };
}
