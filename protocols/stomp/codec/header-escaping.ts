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

const NEEDS_ESCAPE = /[\\\n\r:]/;
const ESCAPE_11 = /[\\\n:]/g;
const ESCAPE_12 = /[\\\n\r:]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', ':': '\\c' };

export function encodeHeaderText(text: string, version: StompVersion | undefined): string {
  if (version === undefined || version === '1.0') {
    // No escaping exists: an EOL inside a value would end the header line and let a value inject
    // headers or frames, so it is replaced by a space.
    return /[\r\n]/.test(text) ? text.replace(/[\r\n]/g, ' ') : text;
  }
  if (version === '1.2') return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPE_12, (c) => ESCAPES[c]!) : text;
  // 1.1 has no escape for CR: it becomes a space.
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPE_11, (c) => ESCAPES[c]!).replace(/\r/g, ' ') : text;
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
