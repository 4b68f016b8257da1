import type { RawFrame } from './frame.js';

/**
 * A resumable STOMP frame decoder: feed it chunks cut anywhere (one byte at a time works) and it
 * returns every frame completed so far. Memory is bounded: at most `maxHeaderBytes` of command and
 * header lines and `maxFrameBytes` for a whole frame are buffered.
 *
 * Wire format (STOMP 1.2 §"Augmented BNF", accepted for every version):
 *   frame   = command EOL *(header EOL) EOL body NUL *(EOL)
 *   EOL     = [CR] LF            header = name ":" value (split at the first colon)
 *   body    = content-length octets when that header is present, else everything up to NUL.
 * Between frames any number of EOLs (heart-beats) and, as ActiveMQ tolerates, stray NULs are skipped.
 * Header text is returned raw: unescaping depends on the negotiated version (header-escaping.ts).
 */

export interface DecoderLimits {
  /** Command, headers and body of one frame together. */
  maxFrameBytes: number;
  /** Command line and header lines of one frame together. */
  maxHeaderBytes: number;
  maxHeaders: number;
}

/** The one error exit: what went wrong, in which state, where, and the bytes around it. */
export class FrameDecodeError extends Error {
  constructor(
    message: string,
    readonly state: DecoderState,
    /** Offset in the connection's byte stream. */
    readonly offset: number,
    readonly snippet: string,
  ) {
    super(message);
    this.name = 'FrameDecodeError';
  }
}

export interface DecodeResult {
  frames: RawFrame[];
  /** Set once the stream is unusable; frames decoded before it are still returned. */
  error?: FrameDecodeError;
}

export type DecoderState = 'between-frames' | 'command' | 'headers' | 'body-to-nul' | 'body-fixed' | 'frame-end' | 'failed';

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const CONTENT_LENGTH = /^\s*(\d{1,15})\s*$/;
/** Shared by every frame without a body: a zero-length buffer cannot be changed. */
const EMPTY_BODY = Buffer.alloc(0);

export class FrameDecoder {
  private state: DecoderState = 'between-frames';
  /** Pieces of the line being read (command or header). */
  private line: Buffer[] = [];
  private lineBytes = 0;
  /** Bytes of command and header lines of the current frame, EOLs included. */
  private headBytes = 0;
  private command = '';
  private headers: Array<[string, string]> = [];
  private body: Buffer[] = [];
  private bodyBytes = 0;
  private bodyLength = 0;
  /** Stream offset of the first byte of the current chunk. */
  private chunkOffset = 0;

  constructor(private readonly limits: DecoderLimits) {}

  get failed(): boolean {
    return this.state === 'failed';
  }

  push(chunk: Buffer): DecodeResult {
    const frames: RawFrame[] = [];
    let pos = 0;
    try {
      while (pos < chunk.length && this.state !== 'failed') {
        pos = this.step(chunk, pos, frames);
      }
    } catch (e) {
      if (!(e instanceof FrameDecodeError)) throw e;
      this.reset();
      this.state = 'failed';
      return { frames, error: e };
    } finally {
      this.chunkOffset += chunk.length;
    }
    return { frames };
  }

  /** Consumes some of `chunk` from `pos` and returns the new position. */
  private step(chunk: Buffer, pos: number, frames: RawFrame[]): number {
    switch (this.state) {
      case 'between-frames': {
        let i = pos;
        while (i < chunk.length && (chunk[i] === LF || chunk[i] === CR || chunk[i] === NUL)) i++;
        if (i < chunk.length) this.state = 'command';
        return i;
      }
      case 'command':
      case 'headers':
        return this.lineBytes === 0 ? this.readLines(chunk, pos) : this.readLine(chunk, pos);
      case 'body-to-nul': {
        const end = chunk.indexOf(NUL, pos);
        const stop = end === -1 ? chunk.length : end;
        if (this.headBytes + this.bodyBytes + (stop - pos) > this.limits.maxFrameBytes) {
          this.fail(`frame exceeds maxFrameBytes (${this.limits.maxFrameBytes}) without a terminating NUL`, chunk, stop);
        }
        if (end === -1) {
          this.appendBody(chunk, pos, stop);
          return chunk.length;
        }
        frames.push(this.finishFrame(chunk, pos, end));
        return end + 1;
      }
      case 'body-fixed': {
        const stop = Math.min(chunk.length, pos + (this.bodyLength - this.bodyBytes));
        this.appendBody(chunk, pos, stop);
        if (this.bodyBytes === this.bodyLength) this.state = 'frame-end';
        return stop;
      }
      case 'frame-end':
        if (chunk[pos] !== NUL) this.fail('frame body is not terminated by NUL after content-length octets', chunk, pos);
        frames.push(this.finishFrame(chunk, pos, pos));
        return pos + 1;
      case 'failed':
        return chunk.length;
      default: {
        const unreachable: never = this.state;
        return unreachable;
      }
    }
  }

  /**
   * The usual case, in one go: the whole lines of plain ASCII from `pos` up to the blank line that
   * ends the headers (or as far as the chunk and the header limit go), found by one pass over the
   * bytes and decoded with one call. Anything else (a line cut by the chunk's end, non-ASCII
   * text, a line past the limit) is left to readLine.
   */
  private readLines(chunk: Buffer, pos: number): number {
    const limit = Math.min(chunk.length, pos + (this.limits.maxHeaderBytes - this.headBytes));
    let end = pos;
    for (let i = pos; i < limit; i++) {
      const b = chunk[i]!;
      if (b >= 0x80) break;
      if (b !== LF) continue;
      const blank = i === end || (i === end + 1 && chunk[end] === CR);
      end = i + 1;
      if (blank) break;
    }
    if (end === pos) return this.readLine(chunk, pos);
    // ASCII: latin1 decodes it as UTF-8 would, and string offsets are byte offsets.
    const text = chunk.toString('latin1', pos, end);
    let from = 0;
    while (from < text.length) {
      const lf = text.indexOf('\n', from);
      this.headBytes += lf - from + 1;
      const to = lf > from && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
      this.onLine(text.slice(from, to), chunk, pos + lf);
      from = lf + 1;
    }
    return end;
  }

  /** One line, byte by byte: it may span chunks (then it is buffered, within the header limit). */
  private readLine(chunk: Buffer, pos: number): number {
    const end = chunk.indexOf(LF, pos);
    const stop = end === -1 ? chunk.length : end;
    if (this.headBytes + this.lineBytes + (stop - pos) + 1 > this.limits.maxHeaderBytes) {
      this.fail(`command and headers exceed maxHeaderBytes (${this.limits.maxHeaderBytes})`, chunk, pos);
    }
    if (end === -1) {
      if (stop > pos) this.line.push(chunk.subarray(pos, stop));
      this.lineBytes += stop - pos;
      return chunk.length;
    }
    let line = chunk;
    let from = pos;
    let to = end;
    if (this.lineBytes > 0) {
      if (to > from) this.line.push(chunk.subarray(from, to));
      line = Buffer.concat(this.line, this.lineBytes + (to - from));
      from = 0;
      to = line.length;
      this.line = [];
    }
    this.headBytes += this.lineBytes + (end - pos) + 1;
    this.lineBytes = 0;
    if (to > from && line[to - 1] === CR) to--;
    this.onLine(line.toString('utf8', from, to), chunk, end);
    return end + 1;
  }

  /** A command or header line, without its EOL; `chunk` and `at` say where it ended, for errors. */
  private onLine(line: string, chunk: Buffer, at: number): void {
    if (this.state === 'command') {
      this.command = line.trim();
      if (this.command.length === 0) this.fail('empty command line', chunk, at);
      this.state = 'headers';
      return;
    }
    if (line.length === 0) {
      this.startBody(chunk, at);
      return;
    }
    const colon = line.indexOf(':');
    if (colon === -1) this.fail('header line without a colon', chunk, at);
    if (this.headers.length >= this.limits.maxHeaders) this.fail(`more than maxHeaders (${this.limits.maxHeaders}) headers`, chunk, at);
    this.headers.push([line.slice(0, colon), line.slice(colon + 1)]);
  }

  private startBody(chunk: Buffer, at: number): void {
    let declared: string | undefined;
    for (const [name, value] of this.headers) {
      if (name === 'content-length') {
        declared = value;
        break;
      }
    }
    if (declared === undefined) {
      this.state = 'body-to-nul';
      return;
    }
    const match = CONTENT_LENGTH.exec(declared);
    if (!match) this.fail(`content-length is not a valid length: ${declared.slice(0, 32)}`, chunk, at);
    this.bodyLength = Number(match![1]);
    if (this.headBytes + this.bodyLength + 1 > this.limits.maxFrameBytes) {
      this.fail(`content-length ${this.bodyLength} exceeds maxFrameBytes (${this.limits.maxFrameBytes})`, chunk, at);
    }
    this.state = this.bodyLength === 0 ? 'frame-end' : 'body-fixed';
  }

  private appendBody(chunk: Buffer, from: number, to: number): void {
    if (to <= from) return;
    this.body.push(chunk.subarray(from, to));
    this.bodyBytes += to - from;
  }

  /** Ends the frame; bytes [from, to) of `chunk` are the last of its body. */
  private finishFrame(chunk: Buffer, from: number, to: number): RawFrame {
    const frame: RawFrame = { command: this.command, headers: this.headers, body: this.copyBody(chunk, from, to) };
    this.reset();
    return frame;
  }

  /** The body in a buffer of its own: the chunks belong to the transport and a view would pin a whole chunk. */
  private copyBody(chunk: Buffer, from: number, to: number): Buffer {
    const length = this.bodyBytes + (to - from);
    if (length === 0) return EMPTY_BODY;
    const body = Buffer.allocUnsafe(length);
    let at = 0;
    for (const piece of this.body) at += piece.copy(body, at);
    chunk.copy(body, at, from, to);
    return body;
  }

  private reset(): void {
    this.state = 'between-frames';
    this.line = [];
    this.lineBytes = 0;
    this.headBytes = 0;
    this.command = '';
    this.headers = [];
    this.body = [];
    this.bodyBytes = 0;
    this.bodyLength = 0;
  }

  private fail(message: string, chunk: Buffer, at: number): never {
    const start = Math.max(0, at - 16);
    const snippet = chunk.subarray(start, Math.min(chunk.length, at + 16));
    throw new FrameDecodeError(message, this.state, this.chunkOffset + at, printable(snippet));
  }
}

function printable(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}
