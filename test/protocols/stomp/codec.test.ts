import { describe, expect, it } from 'vitest';
import { FrameDecodeError, FrameDecoder, type DecoderLimits } from '../../../protocols/stomp/codec/frame-decoder.js';
import { encodeFrame } from '../../../protocols/stomp/codec/frame-encoder.js';
import type { RawFrame, StompVersion } from '../../../protocols/stomp/codec/frame.js';
import { decodeHeaderText, encodeHeaderText, unescapeFrame } from '../../../protocols/stomp/codec/header-escaping.js';
import { prng, seedFromEnv } from './support/prng.js';

const LIMITS: DecoderLimits = { maxFrameBytes: 64 * 1024, maxHeaderBytes: 4096, maxHeaders: 20 };

/** Feeds `input` in the given chunk sizes (cycled) and collects frames and the error. */
function decode(input: Buffer | string, chunkSizes: number[] = [input.length || 1], limits = LIMITS) {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const decoder = new FrameDecoder(limits);
  const frames: RawFrame[] = [];
  let error: FrameDecodeError | undefined;
  let pos = 0;
  let i = 0;
  while (pos < bytes.length) {
    const size = Math.max(1, chunkSizes[i++ % chunkSizes.length]!);
    const result = decoder.push(bytes.subarray(pos, pos + size));
    frames.push(...result.frames);
    error ??= result.error;
    pos += size;
  }
  return { frames, error, decoder };
}

const byteAtATime = (input: Buffer | string, limits = LIMITS) => decode(input, [1], limits);

describe('FrameDecoder', () => {
  it('decodes a frame with headers and a NUL-terminated body', () => {
    const { frames, error } = decode('SEND\ndestination:/queue/a\nfoo:bar:baz\n\nhello\0');
    expect(error).toBeUndefined();
    expect(frames).toHaveLength(1);
    expect(frames[0]!.command).toBe('SEND');
    expect(frames[0]!.headers).toEqual([['destination', '/queue/a'], ['foo', 'bar:baz']]);
    expect(frames[0]!.body.toString()).toBe('hello');
  });

  it('gives the same result fed one byte at a time', () => {
    const input = 'CONNECT\naccept-version:1.2\nhost:x\n\n\0\n\nSEND\ndestination:/queue/a\ncontent-length:3\n\na\0b\0\r\nSUBSCRIBE\nid:1\ndestination:/topic/t\n\n\0';
    const whole = decode(input);
    const single = byteAtATime(input);
    expect(single.error).toBeUndefined();
    expect(single.frames).toEqual(whole.frames);
    expect(single.frames.map((f) => f.command)).toEqual(['CONNECT', 'SEND', 'SUBSCRIBE']);
    expect(single.frames[1]!.body).toEqual(Buffer.from('a\0b'));
  });

  it('works at every chunk boundary', () => {
    const input = Buffer.from('SEND\r\ndestination:/queue/a\r\ncontent-length:5\r\n\r\n\0\0\0\0\0\0\nACK\nid:7\n\n\0');
    const expected = decode(input).frames;
    for (let cut = 1; cut < input.length; cut++) {
      const decoder = new FrameDecoder(LIMITS);
      const frames = [...decoder.push(input.subarray(0, cut)).frames, ...decoder.push(input.subarray(cut)).frames];
      expect(frames).toEqual(expected);
    }
  });

  it('accepts CRLF line ends and strips the CR', () => {
    const { frames } = byteAtATime('SEND\r\ndestination:/queue/a\r\nx:1\r\n\r\nbody\0');
    expect(frames[0]!.command).toBe('SEND');
    expect(frames[0]!.headers).toEqual([['destination', '/queue/a'], ['x', '1']]);
  });

  it('skips heart-beat EOLs and stray NULs between frames', () => {
    const { frames, error } = byteAtATime('\n\r\n\n\0SEND\n\n\0\n\n\r\n\0\0BEGIN\ntransaction:t\n\n\0\n');
    expect(error).toBeUndefined();
    expect(frames.map((f) => f.command)).toEqual(['SEND', 'BEGIN']);
  });

  it('reads exactly content-length octets, NULs included', () => {
    const body = Buffer.from([0, 1, 0, 2, 0, 0, 255]);
    const frame = encodeFrame('SEND', [['destination', '/queue/a']], body, '1.2', true);
    const { frames } = byteAtATime(frame);
    expect(frames[0]!.body).toEqual(body);
    expect(frames[0]!.headers).toContainEqual(['content-length', '7']);
  });

  it('accepts content-length 0 and a padded content-length', () => {
    const { frames, error } = byteAtATime('SEND\ncontent-length: 0 \n\n\0SEND\ncontent-length:2\n\nab\0');
    expect(error).toBeUndefined();
    expect(frames.map((f) => f.body.toString())).toEqual(['', 'ab']);
  });

  it('keeps repeated headers in order; the first wins once unescaped', () => {
    const { frames } = decode('MESSAGE\nfoo:World\nfoo:Hello\n\n\0');
    expect(frames[0]!.headers).toEqual([['foo', 'World'], ['foo', 'Hello']]);
    expect(unescapeFrame(frames[0]!, '1.2').headers.get('foo')).toBe('World');
  });

  it('uses the first content-length when repeated', () => {
    const { frames, error } = decode('SEND\ncontent-length:1\ncontent-length:3\n\na\0');
    expect(error).toBeUndefined();
    expect(frames[0]!.body.toString()).toBe('a');
  });

  it('keeps empty values and values with spaces raw', () => {
    const { frames } = decode('SEND\nempty:\n spaced : v \n\n\0');
    expect(frames[0]!.headers).toEqual([['empty', ''], [' spaced ', ' v ']]);
  });

  describe('errors', () => {
    const cases: Array<[string, string | Buffer, RegExp, DecoderLimits?]> = [
      ['missing NUL after content-length octets', 'SEND\ncontent-length:2\n\nabc\0', /not terminated by NUL/],
      ['a non-numeric content-length', 'SEND\ncontent-length:abc\n\n\0', /content-length is not a valid length/],
      ['a negative content-length', 'SEND\ncontent-length:-1\n\n\0', /content-length is not a valid length/],
      ['a header line without a colon', 'SEND\nnocolon\n\n\0', /without a colon/],
      ['an empty command line', ' \nx:y\n\n\0', /empty command/],
      ['too many headers', `SEND\n${'a:b\n'.repeat(21)}\n\0`, /maxHeaders/],
      ['too many header bytes', `SEND\nx:${'v'.repeat(5000)}\n\n\0`, /maxHeaderBytes/],
      ['a command line that never ends', 'X'.repeat(5000), /maxHeaderBytes/],
      ['a body that never ends', `SEND\n\n${'b'.repeat(70 * 1024)}`, /without a terminating NUL/],
      ['a content-length above the frame limit', `SEND\ncontent-length:${70 * 1024}\n\n`, /exceeds maxFrameBytes/],
    ];
    for (const [name, input, message] of cases) {
      it(`rejects ${name}, whole and byte at a time`, () => {
        for (const result of [decode(input), byteAtATime(input)]) {
          expect(result.error, name).toBeInstanceOf(FrameDecodeError);
          expect(result.error!.message).toMatch(message);
          expect(result.decoder.failed).toBe(true);
        }
      });
    }

    it('reports state, stream offset and a snippet, returns the frames before, then stays failed', () => {
      const good = 'SEND\n\nok\0';
      const decoder = new FrameDecoder(LIMITS);
      const result = decoder.push(Buffer.from(`${good}SEND\ncontent-length:1\n\nxy\0`));
      expect(result.frames).toHaveLength(1);
      expect(result.error!.state).toBe('frame-end');
      expect(result.error!.offset).toBe(good.length + 'SEND\ncontent-length:1\n\nx'.length);
      expect(result.error!.snippet).toContain('length:1\\x0a\\x0axy\\x00');
      expect(decoder.push(Buffer.from('SEND\n\n\0')).frames).toEqual([]);
    });

    it('bounds the buffer while a line is incomplete', () => {
      const decoder = new FrameDecoder(LIMITS);
      let error: FrameDecodeError | undefined;
      for (let i = 0; i < 10_000 && !error; i++) error = decoder.push(Buffer.from('a')).error;
      expect(error?.message).toMatch(/maxHeaderBytes/);
    });
  });

  it('round-trips random frames at random chunkings', () => {
    const seed = seedFromEnv();
    const rnd = prng(seed);
    const versions: StompVersion[] = ['1.1', '1.2'];
    for (let n = 0; n < 300; n++) {
      const version = rnd.pick(versions);
      const headers: Array<[string, string]> = [];
      const count = rnd.int(6);
      for (let i = 0; i < count; i++) headers.push([`h${i}${randomText(rnd, 4, version)}`, randomText(rnd, 12, version)]);
      const body = rnd.bytes(rnd.int(40));
      const wire = encodeFrame('SEND', headers, body, version, rnd.next() < 0.5);
      const chunks = Array.from({ length: 5 }, () => 1 + rnd.int(9));
      const { frames, error } = decode(Buffer.concat([wire, Buffer.from('\n'), wire]), chunks);
      expect(error, `seed ${seed}`).toBeUndefined();
      expect(frames, `seed ${seed}`).toHaveLength(2);
      const decoded = unescapeFrame(frames[1]!, version);
      expect(decoded.body, `seed ${seed}`).toEqual(body);
      // Names are unique: each starts with h<index>.
      decoded.headers.delete('content-length');
      expect(decoded.headers, `seed ${seed}`).toEqual(new Map(headers));
    }
  });
});

function randomText(rnd: ReturnType<typeof prng>, max: number, version: StompVersion): string {
  const alphabet = version === '1.2' ? ['a', 'Z', ':', '\\', '\n', '\r', ' ', 'é', '0'] : ['a', 'Z', ':', '\\', '\n', ' ', 'é', '0'];
  let s = '';
  const n = rnd.int(max);
  for (let i = 0; i < n; i++) s += rnd.pick(alphabet);
  return s;
}

describe('header escaping', () => {
  it('decodes \\\\ \\n \\c in 1.1 and also \\r in 1.2', () => {
    expect(decodeHeaderText('a\\cb\\nc\\\\d', '1.1')).toBe('a:b\nc\\d');
    expect(decodeHeaderText('x\\ry', '1.2')).toBe('x\ry');
    expect(decodeHeaderText('x\\ry', '1.1')).toBe('x\\ry');
  });

  it('keeps undefined escape sequences as ActiveMQ does', () => {
    expect(decodeHeaderText('C:\\temp\\x', '1.2')).toBe('C:\\temp\\x');
    expect(decodeHeaderText('end\\', '1.2')).toBe('end\\');
  });

  it('does not unescape 1.0 or CONNECT headers; 1.0 values are trimmed', () => {
    expect(decodeHeaderText('a\\cb', undefined)).toBe('a\\cb');
    expect(decodeHeaderText(' a\\cb ', '1.0')).toBe('a\\cb');
  });

  it('encodes per version', () => {
    expect(encodeHeaderText('a:b\nc\\d\re', '1.2')).toBe('a\\cb\\nc\\\\d\\re');
    expect(encodeHeaderText('a:b\nc\\d\re', '1.1')).toBe('a\\cb\\nc\\\\d e');
    expect(encodeHeaderText('a:b\nc\\d', '1.0')).toBe('a:b c\\d');
    expect(encodeHeaderText('a:b', undefined)).toBe('a:b');
  });

  it('round-trips', () => {
    const text = 'k:v\\w\nx\ry:z';
    expect(decodeHeaderText(encodeHeaderText(text, '1.2'), '1.2')).toBe(text);
    expect(decodeHeaderText(encodeHeaderText('k:v\\w\nx', '1.1'), '1.1')).toBe('k:v\\w\nx');
  });
});

describe('encodeFrame', () => {
  it('writes command, escaped headers, blank line, body and NUL', () => {
    const wire = encodeFrame('MESSAGE', [['a:b', 'c\nd']], Buffer.from('hi'), '1.2');
    expect(wire.toString()).toBe('MESSAGE\na\\cb:c\\nd\n\nhi\0');
  });

  it('adds content-length when asked or when the body holds a NUL', () => {
    expect(encodeFrame('MESSAGE', [], Buffer.from('hi'), '1.2', true).toString()).toBe('MESSAGE\ncontent-length:2\n\nhi\0');
    expect(encodeFrame('MESSAGE', [], Buffer.from('h\0i'), '1.2').toString()).toBe('MESSAGE\ncontent-length:3\n\nh\0i\0');
  });

  it('never escapes CONNECTED', () => {
    expect(encodeFrame('CONNECTED', [['session', 'a:b']]).toString()).toBe('CONNECTED\nsession:a:b\n\n\0');
  });
});
