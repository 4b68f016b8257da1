import { BooleanStreamReader, BooleanStreamWriter } from './boolean-stream.js';
import { CodecError } from './codec-error.js';
import type { DataStructure, StackTraceElement, WireThrowable } from './commands.js';
import { DataReader } from './data-reader.js';
import { DataWriter } from './data-writer.js';
import { readBool, readString, writeBool, writeString } from './field-primitives.js';
import { MAX_VERSION, MIN_VERSION, type StructSpec } from './schema.js';
import { codecsForVersion, type NestedCodec, type StructCodec } from './struct-codecs.js';

/** What the two WireFormatInfos negotiated (docs/openwire.md §3.3). */
export interface FormatOptions {
  version: number;
  tightEncoding: boolean;
  cacheEnabled: boolean;
  /** Value-cache slots (0 means 16383, as ActiveMQ reads it). */
  cacheSize: number;
  stackTraceEnabled: boolean;
}

/** Loose, uncached, v12: the encoding of every WireFormatInfo and what Wharf advertises. */
export const LOOSE_V12: FormatOptions = {
  version: MAX_VERSION, tightEncoding: false, cacheEnabled: false, cacheSize: 0, stackTraceEnabled: false,
};

/** Nested structures deeper than this (messages in dispatches in advisories ...) are refused. */
const MAX_NESTING = 16;
/** Throwable causes deeper than this are refused. */
const MAX_CAUSES = 32;

type Struct = Record<string, unknown> & { typeCode: number };

/**
 * One direction pair of OpenWire's marshalling (ActiveMQ OpenWireFormat): decodes frames the
 * peer sent, encodes frames to it, each with its own value cache when caching is on. Driven by
 * the table in schema.ts. Never instantiates anything named by the peer: throwables are data.
 */
export class OpenWireFormat implements NestedCodec {
  readonly options: FormatOptions;
  private readonly codecs: ReadonlyArray<StructCodec | undefined>;
  private readonly cacheSlots: number;
  private readonly decodeCache: Array<DataStructure | null>;
  private readonly encodeCache = new Map<string, number>();
  private nextEncodeIndex = 0;
  private readonly out = new DataWriter(1024);

  constructor(options: FormatOptions) {
    if (options.version < MIN_VERSION || options.version > MAX_VERSION) {
      throw new CodecError(`OpenWire version ${options.version} is not supported (${MIN_VERSION}–${MAX_VERSION})`);
    }
    this.options = { ...options };
    this.codecs = codecsForVersion(options.version);
    this.cacheSlots = options.cacheSize > 0 ? Math.min(options.cacheSize, 16383) : 16383;
    this.decodeCache = options.cacheEnabled ? new Array(this.cacheSlots).fill(null) : [];
  }

  spec(typeCode: number): StructSpec | undefined {
    return this.codecs[typeCode]?.spec;
  }

  // ------------------------------------------------------------------ decode

  /** Decodes one frame body: the type byte and what follows (no size prefix). */
  decode(frame: Buffer, offset = 0, end = frame.length): DataStructure {
    return this.decodeFrame(frame, offset, end, undefined);
  }

  /**
   * Decodes one frame body and notes where each of its top-level fields ends, as offsets from
   * the type byte (loose frames: lets a sender patch fixed-size fields in place).
   */
  decodeWithEnds(frame: Buffer): { command: DataStructure; fieldEnds: Record<string, number> } {
    const fieldEnds = this.codecs[frame[0]!]?.newEnds() ?? {};
    return { command: this.decodeFrame(frame, 0, frame.length, fieldEnds), fieldEnds };
  }

  private decodeFrame(frame: Buffer, offset: number, end: number, fieldEnds: Record<string, number> | undefined): DataStructure {
    const r = new DataReader(frame, offset, end);
    const typeCode = r.u8();
    const codec = this.codecs[typeCode];
    if (!codec) throw new CodecError(`unknown command type ${typeCode}`);
    const bs = this.options.tightEncoding ? new BooleanStreamReader(r) : undefined;
    const command = codec.read(this, r, bs, 0, fieldEnds);
    if (r.remaining !== 0) throw new CodecError(`${codec.spec.name}: ${r.remaining} bytes left over at the end of the frame`);
    return command;
  }

  readNested(r: DataReader, bs: BooleanStreamReader | undefined, depth: number): DataStructure | null {
    if (!readBool(r, bs)) return null;
    if (depth >= MAX_NESTING) throw new CodecError(`structures nested deeper than ${MAX_NESTING}`);
    const typeCode = r.u8();
    const codec = this.codecs[typeCode];
    if (!codec) throw new CodecError(`unknown nested type ${typeCode}`);
    // A marshal-aware structure may carry a pre-marshalled form; no Java peer sends one.
    if (bs && codec.spec.marshalAware && bs.read()) throw new CodecError(`${codec.spec.name}: cached marshalled form is not supported`);
    return codec.read(this, r, bs, depth + 1);
  }

  readCached(r: DataReader, bs: BooleanStreamReader | undefined, depth: number): DataStructure | null {
    if (!this.options.cacheEnabled) return this.readNested(r, bs, depth);
    const isNew = readBool(r, bs);
    const index = r.i16();
    if (index < -1 || index >= this.cacheSlots) throw new CodecError(`cache index ${index} out of range`);
    if (!isNew) {
      if (index < 0) throw new CodecError('cache reference to slot -1');
      return this.decodeCache[index] ?? null;
    }
    const value = this.readNested(r, bs, depth);
    if (index >= 0) this.decodeCache[index] = value;
    return value;
  }

  readArray(r: DataReader, bs: BooleanStreamReader | undefined, depth: number): DataStructure[] | null {
    if (!readBool(r, bs)) return null;
    const n = r.i16();
    if (n < 0) throw new CodecError(`negative array length ${n}`);
    const out: Array<DataStructure | null> = [];
    for (let i = 0; i < n; i++) out.push(this.readNested(r, bs, depth));
    return out as DataStructure[];
  }

  readThrowable(r: DataReader, bs: BooleanStreamReader | undefined, causes: number): WireThrowable | null {
    if (!readBool(r, bs)) return null;
    if (causes > MAX_CAUSES) throw new CodecError(`throwable causes nested deeper than ${MAX_CAUSES}`);
    const str = (): string | null => readString(r, bs);
    const t: WireThrowable = { className: str(), message: str() };
    if (this.options.stackTraceEnabled) {
      const n = r.i16();
      if (n < 0) throw new CodecError(`negative stack trace length ${n}`);
      const stack: StackTraceElement[] = [];
      for (let i = 0; i < n; i++) {
        stack.push({ declaringClass: str(), methodName: str(), fileName: str(), lineNumber: r.i32() });
      }
      t.stackTrace = stack;
      t.cause = this.readThrowable(r, bs, causes + 1);
    }
    return t;
  }

  // ------------------------------------------------------------------ encode

  /** Encodes one command as a complete frame, size prefix included. */
  encode(command: DataStructure): Buffer {
    const codec = this.codecs[command.typeCode];
    if (!codec) throw new CodecError(`cannot encode type ${command.typeCode} in version ${this.options.version}`);
    const out = this.out;
    out.reset();
    out.i32(0);
    out.u8(command.typeCode);
    if (this.options.tightEncoding) {
      const bits = new BooleanStreamWriter();
      const data = new DataWriter(256);
      codec.write(this, command, data, bits, 0);
      bits.marshal(out);
      out.raw(data.buf.subarray(0, data.pos));
    } else {
      codec.write(this, command, out, undefined, 0);
    }
    out.buf.writeInt32BE(out.pos - 4, 0);
    return out.toBuffer();
  }

  writeNested(o: DataStructure | null, w: DataWriter, bs: BooleanStreamWriter | undefined, depth: number): void {
    writeBool(w, bs, o !== null);
    if (o === null) return;
    if (depth >= MAX_NESTING) throw new CodecError(`structures nested deeper than ${MAX_NESTING}`);
    const codec = this.codecs[o.typeCode];
    if (!codec) throw new CodecError(`cannot encode nested type ${o.typeCode} in version ${this.options.version}`);
    w.u8(o.typeCode);
    if (bs && codec.spec.marshalAware) bs.write(false);
    codec.write(this, o, w, bs, depth + 1);
  }

  writeArray(a: Array<DataStructure | null> | null, w: DataWriter, bs: BooleanStreamWriter | undefined, depth: number): void {
    writeBool(w, bs, a !== null);
    if (a === null) return;
    if (a.length > 32767) throw new CodecError('array longer than 32767');
    w.i16(a.length);
    for (const e of a) this.writeNested(e, w, bs, depth);
  }

  /**
   * ActiveMQ's marshall cache: a value seen before (equal by value, null included) is sent as its
   * slot; a new one takes the next slot while there are free slots, else is sent uncached (-1).
   */
  writeCached(o: DataStructure | null, w: DataWriter, bs: BooleanStreamWriter | undefined, depth: number): void {
    if (!this.options.cacheEnabled) {
      this.writeNested(o, w, bs, depth);
      return;
    }
    const key = o === null ? 'null' : this.valueKey(o as Struct);
    const known = this.encodeCache.get(key);
    writeBool(w, bs, known === undefined);
    if (known !== undefined) {
      w.i16(known);
      return;
    }
    if (!bs) {
      w.i16(this.addToCache(key));
      this.writeNested(o, w, bs, depth);
      return;
    }
    // Tight: ActiveMQ marshals the nested value (whose own cached fields take slots) before the
    // value takes its slot, and writes that slot in front of it.
    const at = w.pos;
    w.i16(0);
    this.writeNested(o, w, bs, depth);
    w.buf.writeInt16BE(this.addToCache(key), at);
  }

  private addToCache(key: string): number {
    let index = -1;
    if (this.encodeCache.size < this.cacheSlots) {
      index = this.nextEncodeIndex;
      this.encodeCache.set(key, index);
    }
    this.nextEncodeIndex = (this.nextEncodeIndex + 1) % this.cacheSlots;
    return index;
  }

  /** A string equal for structures that Java's equals() finds equal (ids, destinations). */
  private valueKey(o: Struct): string {
    const spec = this.codecs[o.typeCode]?.spec;
    if (!spec) return `?${o.typeCode}`;
    let key = String(o.typeCode);
    for (const f of spec.fields) {
      const v = o[f.name];
      if (v === null || v === undefined) key += '|~';
      else if (v instanceof Uint8Array) key += `|${Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex')}`;
      else if (typeof v === 'object') key += `|{${this.valueKey(v as Struct)}}`;
      else key += `|${typeof v === 'string' ? JSON.stringify(v) : String(v)}`;
    }
    return key;
  }

  writeThrowable(t: WireThrowable | null, w: DataWriter, bs: BooleanStreamWriter | undefined, causes: number): void {
    writeBool(w, bs, t !== null);
    if (t === null) return;
    if (causes > MAX_CAUSES) throw new CodecError(`throwable causes nested deeper than ${MAX_CAUSES}`);
    writeString(w, bs, t.className);
    writeString(w, bs, t.message);
    if (!this.options.stackTraceEnabled) return;
    const stack = t.stackTrace ?? [];
    w.i16(stack.length);
    for (const e of stack) {
      writeString(w, bs, e.declaringClass);
      writeString(w, bs, e.methodName);
      writeString(w, bs, e.fileName);
      w.i32(e.lineNumber);
    }
    this.writeThrowable(t.cause ?? null, w, bs, causes + 1);
  }
}
