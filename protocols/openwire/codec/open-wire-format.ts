import { BooleanStreamReader, BooleanStreamWriter } from './boolean-stream.js';
import { CodecError } from './codec-error.js';
import type { DataStructure, StackTraceElement, WireThrowable } from './commands.js';
import { DataReader } from './data-reader.js';
import { DataWriter } from './data-writer.js';
import type { Long } from './long.js';
import { isJavaAscii, mutf8Length } from './mutf8.js';
import { MAX_VERSION, MIN_VERSION, specsForVersion, type FieldSpec, type StructSpec } from './schema.js';

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
export class OpenWireFormat {
  readonly options: FormatOptions;
  private readonly specs: ReadonlyArray<StructSpec | undefined>;
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
    this.specs = specsForVersion(options.version);
    this.cacheSlots = options.cacheSize > 0 ? Math.min(options.cacheSize, 16383) : 16383;
    this.decodeCache = options.cacheEnabled ? new Array(this.cacheSlots).fill(null) : [];
  }

  spec(typeCode: number): StructSpec | undefined {
    return this.specs[typeCode];
  }

  // ------------------------------------------------------------------ decode

  /**
   * Decodes one frame body: the type byte and what follows (no size prefix). With `fieldEnds`,
   * records where each top-level field ends (loose frames: lets a sender patch fixed-size fields).
   */
  decode(frame: Buffer, offset = 0, end = frame.length, fieldEnds?: Record<string, number>): DataStructure {
    const r = new DataReader(frame, offset, end);
    const typeCode = r.u8();
    const spec = this.specs[typeCode];
    if (!spec) throw new CodecError(`unknown command type ${typeCode}`);
    const bs = this.options.tightEncoding ? new BooleanStreamReader(r) : undefined;
    const result = this.readStruct(spec, r, bs, 0, fieldEnds);
    if (r.remaining !== 0) throw new CodecError(`${spec.name}: ${r.remaining} bytes left over at the end of the frame`);
    return result;
  }

  private readStruct(
    spec: StructSpec, r: DataReader, bs: BooleanStreamReader | undefined, depth: number, fieldEnds?: Record<string, number>,
  ): DataStructure {
    const o: Struct = { typeCode: spec.typeCode };
    if (spec.command) {
      o.commandId = r.i32();
      o.responseRequired = bs ? bs.read() : r.bool();
    }
    for (const f of spec.fields) {
      o[f.name] = this.readField(f, r, bs, depth);
      if (fieldEnds) fieldEnds[f.name] = r.pos;
    }
    return o;
  }

  private readField(f: FieldSpec, r: DataReader, bs: BooleanStreamReader | undefined, depth: number): unknown {
    switch (f.kind) {
      case 'bool': return bs ? bs.read() : r.bool();
      case 'byte': return r.i8();
      case 'int': return r.i32();
      case 'long': return bs ? readTightLong(r, bs) : r.long();
      case 'str': return bs ? readTightString(r, bs) : r.bool() ? r.utf() : null;
      case 'bytes': return (bs ? bs.read() : r.bool()) ? r.sizedBytes() : null;
      case 'magic': return r.bytes(8);
      case 'obj': return this.readNested(r, bs, depth);
      case 'cobj': return this.readCached(r, bs, depth);
      case 'arr': return this.readArray(r, bs, depth);
      case 'thr': return this.readThrowable(r, bs, 0);
    }
  }

  private readNested(r: DataReader, bs: BooleanStreamReader | undefined, depth: number): DataStructure | null {
    if (!(bs ? bs.read() : r.bool())) return null;
    if (depth >= MAX_NESTING) throw new CodecError(`structures nested deeper than ${MAX_NESTING}`);
    const typeCode = r.u8();
    const spec = this.specs[typeCode];
    if (!spec) throw new CodecError(`unknown nested type ${typeCode}`);
    // A marshal-aware structure may carry a pre-marshalled form; no Java peer sends one.
    if (bs && spec.marshalAware && bs.read()) throw new CodecError(`${spec.name}: cached marshalled form is not supported`);
    return this.readStruct(spec, r, bs, depth + 1);
  }

  private readCached(r: DataReader, bs: BooleanStreamReader | undefined, depth: number): DataStructure | null {
    if (!this.options.cacheEnabled) return this.readNested(r, bs, depth);
    const isNew = bs ? bs.read() : r.bool();
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

  private readArray(r: DataReader, bs: BooleanStreamReader | undefined, depth: number): DataStructure[] | null {
    if (!(bs ? bs.read() : r.bool())) return null;
    const n = r.i16();
    if (n < 0) throw new CodecError(`negative array length ${n}`);
    const out: Array<DataStructure | null> = [];
    for (let i = 0; i < n; i++) out.push(this.readNested(r, bs, depth));
    return out as DataStructure[];
  }

  private readThrowable(r: DataReader, bs: BooleanStreamReader | undefined, causes: number): WireThrowable | null {
    if (!(bs ? bs.read() : r.bool())) return null;
    if (causes > MAX_CAUSES) throw new CodecError(`throwable causes nested deeper than ${MAX_CAUSES}`);
    const str = (): string | null => (bs ? readTightString(r, bs) : r.bool() ? r.utf() : null);
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
    const spec = this.specs[command.typeCode];
    if (!spec) throw new CodecError(`cannot encode type ${command.typeCode} in version ${this.options.version}`);
    const out = this.out;
    out.reset();
    out.i32(0);
    out.u8(spec.typeCode);
    if (this.options.tightEncoding) {
      const bits = new BooleanStreamWriter();
      const data = new DataWriter(256);
      this.writeStruct(spec, command as Struct, data, bits, 0);
      bits.marshal(out);
      out.raw(data.buf.subarray(0, data.pos));
    } else {
      this.writeStruct(spec, command as Struct, out, undefined, 0);
    }
    out.buf.writeInt32BE(out.pos - 4, 0);
    return out.toBuffer();
  }

  private writeStruct(spec: StructSpec, o: Struct, w: DataWriter, bs: BooleanStreamWriter | undefined, depth: number): void {
    if (spec.command) {
      w.i32((o.commandId as number | undefined) ?? 0);
      if (bs) bs.write(o.responseRequired === true);
      else w.bool(o.responseRequired === true);
    }
    for (const f of spec.fields) this.writeField(f, o[f.name], w, bs, depth);
  }

  private writeField(f: FieldSpec, v: unknown, w: DataWriter, bs: BooleanStreamWriter | undefined, depth: number): void {
    switch (f.kind) {
      case 'bool':
        if (bs) bs.write(v === true);
        else w.bool(v === true);
        return;
      case 'byte': w.u8((v as number | undefined) ?? 0); return;
      case 'int': w.i32((v as number | undefined) ?? 0); return;
      case 'long':
        if (bs) writeTightLong(w, bs, (v as Long | undefined) ?? 0);
        else w.long((v as Long | undefined) ?? 0);
        return;
      case 'str': writeString(w, bs, (v as string | null | undefined) ?? null); return;
      case 'bytes': {
        const b = (v as Uint8Array | null | undefined) ?? null;
        if (bs) bs.write(b !== null);
        else w.bool(b !== null);
        if (b !== null) {
          w.i32(b.length);
          w.raw(b);
        }
        return;
      }
      case 'magic': {
        const b = v as Uint8Array;
        if (!b || b.length !== 8) throw new CodecError('magic must be 8 bytes');
        w.raw(b);
        return;
      }
      case 'obj': this.writeNested((v as Struct | null | undefined) ?? null, w, bs, depth); return;
      case 'cobj': this.writeCached((v as Struct | null | undefined) ?? null, w, bs, depth); return;
      case 'arr': {
        const a = (v as Array<Struct | null> | null | undefined) ?? null;
        if (bs) bs.write(a !== null);
        else w.bool(a !== null);
        if (a === null) return;
        if (a.length > 32767) throw new CodecError('array longer than 32767');
        w.i16(a.length);
        for (const e of a) this.writeNested(e, w, bs, depth);
        return;
      }
      case 'thr': this.writeThrowable((v as WireThrowable | null | undefined) ?? null, w, bs, 0); return;
    }
  }

  private writeNested(o: Struct | null, w: DataWriter, bs: BooleanStreamWriter | undefined, depth: number): void {
    if (bs) bs.write(o !== null);
    else w.bool(o !== null);
    if (o === null) return;
    if (depth >= MAX_NESTING) throw new CodecError(`structures nested deeper than ${MAX_NESTING}`);
    const spec = this.specs[o.typeCode];
    if (!spec) throw new CodecError(`cannot encode nested type ${o.typeCode} in version ${this.options.version}`);
    w.u8(spec.typeCode);
    if (bs && spec.marshalAware) bs.write(false);
    this.writeStruct(spec, o, w, bs, depth + 1);
  }

  /**
   * ActiveMQ's marshall cache: a value seen before (equal by value, null included) is sent as its
   * slot; a new one takes the next slot while there are free slots, else is sent uncached (-1).
   */
  private writeCached(o: Struct | null, w: DataWriter, bs: BooleanStreamWriter | undefined, depth: number): void {
    if (!this.options.cacheEnabled) {
      this.writeNested(o, w, bs, depth);
      return;
    }
    const key = o === null ? 'null' : this.valueKey(o);
    const known = this.encodeCache.get(key);
    if (bs) bs.write(known === undefined);
    else w.bool(known === undefined);
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
    const spec = this.specs[o.typeCode];
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

  private writeThrowable(t: WireThrowable | null, w: DataWriter, bs: BooleanStreamWriter | undefined, causes: number): void {
    if (bs) bs.write(t !== null);
    else w.bool(t !== null);
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

// ------------------------------------------------------------------ tight primitives

/** Tight long: 2 bits choose 0, 2, 4 (both unsigned) or 8 bytes. */
function readTightLong(r: DataReader, bs: BooleanStreamReader): Long {
  if (bs.read()) {
    if (bs.read()) return r.long();
    r.need(4);
    const v = r.buf.readUInt32BE(r.pos);
    r.pos += 4;
    return v;
  }
  if (bs.read()) return r.u16();
  return 0;
}

function writeTightLong(w: DataWriter, bs: BooleanStreamWriter, v: Long): void {
  const big = typeof v === 'bigint' ? BigInt.asIntN(64, v) : undefined;
  const n = big === undefined ? (v as number) : undefined;
  if (n === 0 || big === 0n) {
    bs.write(false);
    bs.write(false);
  } else if (n !== undefined ? n > 0 && n <= 0xffff : big! > 0n && big! <= 0xffffn) {
    bs.write(false);
    bs.write(true);
    w.i16(Number(v));
  } else if (n !== undefined ? n > 0 && n <= 0xffffffff : big! > 0n && big! <= 0xffffffffn) {
    bs.write(true);
    bs.write(false);
    w.ensure(4);
    w.buf.writeUInt32BE(Number(v), w.pos);
    w.pos += 4;
  } else {
    bs.write(true);
    bs.write(true);
    w.long(v);
  }
}

/** Tight string: present bit, "ascii" bit; ascii strings are a short length plus one byte per char. */
function readTightString(r: DataReader, bs: BooleanStreamReader): string | null {
  if (!bs.read()) return null;
  if (bs.read()) {
    const n = r.i16();
    if (n < 0) throw new CodecError(`negative string length ${n}`);
    r.need(n);
    const s = r.buf.toString('latin1', r.pos, r.pos + n);
    r.pos += n;
    return s;
  }
  return r.utf();
}

function writeString(w: DataWriter, bs: BooleanStreamWriter | undefined, s: string | null): void {
  if (!bs) {
    w.bool(s !== null);
    if (s !== null) w.utf(s);
    return;
  }
  bs.write(s !== null);
  if (s === null) return;
  if (mutf8Length(s) >= 32767) throw new CodecError('string too long for tight encoding');
  const ascii = isJavaAscii(s);
  bs.write(ascii);
  if (ascii) {
    w.i16(s.length);
    w.mutf8(s, s.length);
  } else {
    w.utf(s);
  }
}
