import type { HeaderList, StompVersion } from './frame.js';
import { encodeHeaderText } from './header-escaping.js';

const NUL = Buffer.from([0]);
const EMPTY = Buffer.alloc(0);

/** A heart-beat: one EOL. */
export const HEARTBEAT = '\n';

/**
 * Encodes one frame: command, headers escaped for `version` (undefined: CONNECTED, never escaped),
 * a blank line, the body and NUL. Adds content-length when `withContentLength` is set (ActiveMQ
 * sends it for bytes bodies) or when the body holds a NUL, which could not be framed otherwise.
 */
export function encodeFrame(
  command: string,
  headers: HeaderList,
  body: Uint8Array = EMPTY,
  version: StompVersion | undefined = undefined,
  withContentLength = false,
): Buffer {
  let head = `${command}\n`;
  for (const [name, value] of headers) {
    if (name === 'content-length') continue;
    head += `${encodeHeaderText(name, version)}:${encodeHeaderText(value, version)}\n`;
  }
  if (withContentLength || body.includes(0)) head += `content-length:${body.length}\n`;
  head += '\n';
  const headBytes = Buffer.from(head, 'utf8');
  return Buffer.concat([headBytes, body, NUL], headBytes.length + body.length + 1);
}
