/**
 * STOMP 1.2 frames for the drill's client: an encoder and a resumable reader.
 *
 * Hand-written on purpose: the drill is a client that lives in src/, which may not import
 * protocols/ (the broker's own codec), and the STOMP libraries in the tree (@stomp/stompjs,
 * stompit) are devDependencies, absent from a production install where `wharf drill` must work.
 * The drill needs only what a careful application needs: receipts, client-individual acks,
 * heart-beats and reconnection; this is the few dozen lines that takes.
 */
export interface StompFrame {
  command: string;
  headers: Record<string, string>;
  body: string;
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', ':': '\\c' };
const UNESCAPES: Record<string, string> = { '\\\\': '\\', '\\n': '\n', '\\r': '\r', '\\c': ':' };

/** Encodes a frame; CONNECT headers are not escaped (STOMP 1.2). The body is sent with content-length. */
export function encodeFrame(command: string, headers: Record<string, string | number>, body = ''): string {
  const escape = command === 'CONNECT' ? (s: string) => s : (s: string) => s.replace(/[\\\n\r:]/g, (c) => ESCAPES[c]!);
  let head = `${command}\n`;
  for (const [k, v] of Object.entries(headers)) head += `${escape(k)}:${escape(String(v))}\n`;
  if (body.length > 0) head += `content-length:${Buffer.byteLength(body)}\n`;
  return `${head}\n${body}\0`;
}

/** Max bytes buffered for one incomplete frame: the drill's frames are tiny, so anything larger is a broken peer. */
const MAX_FRAME_BYTES = 1024 * 1024;

/** Splits a byte stream into frames, at any chunk boundary. Heart-beat EOLs between frames are skipped. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  /** Feeds bytes; returns the frames completed by them. Throws on an oversized frame. */
  push(chunk: Buffer): StompFrame[] {
    const buf = this.buffered.length > 0 ? Buffer.concat([this.buffered, chunk]) : chunk;
    const frames: StompFrame[] = [];
    let at = 0;
    for (;;) {
      while (at < buf.length && (buf[at] === 0x0a || buf[at] === 0x0d)) at++;
      const frame = readFrame(buf, at);
      if (!frame) break;
      frames.push(frame.frame);
      at = frame.end;
    }
    this.buffered = Buffer.from(buf.subarray(at));
    if (this.buffered.length > MAX_FRAME_BYTES) throw new Error(`STOMP frame over ${MAX_FRAME_BYTES} bytes`);
    return frames;
  }
}

function readFrame(buf: Buffer, start: number): { frame: StompFrame; end: number } | undefined {
  // Lines end with LF or CRLF; an empty line ends the headers.
  const lines: string[] = [];
  let at = start;
  for (;;) {
    const lf = buf.indexOf(0x0a, at);
    if (lf < 0) return undefined;
    const line = buf.toString('utf8', at, lf > at && buf[lf - 1] === 0x0d ? lf - 1 : lf);
    at = lf + 1;
    if (line === '') break;
    lines.push(line);
  }
  const command = lines[0]!;
  const headers: Record<string, string> = {};
  const unescape = command === 'CONNECTED' ? (v: string) => v : (v: string) => v.replace(/\\[\\nrc]/g, (e) => UNESCAPES[e]!);
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = unescape(line.slice(0, colon));
    // STOMP 1.2: the first occurrence of a repeated header wins.
    if (!(key in headers)) headers[key] = unescape(line.slice(colon + 1));
  }
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  const bodyEnd = length === undefined ? buf.indexOf(0, at) : at + length;
  if (bodyEnd < 0 || bodyEnd >= buf.length) return undefined;
  return { frame: { command, headers, body: buf.toString('utf8', at, bodyEnd) }, end: bodyEnd + 1 };
}
