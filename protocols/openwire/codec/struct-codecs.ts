import type { BooleanStreamReader, BooleanStreamWriter } from './boolean-stream.js';
import type { DataStructure, WireThrowable } from './commands.js';
import type { DataReader } from './data-reader.js';
import type { DataWriter } from './data-writer.js';
import * as P from './field-primitives.js';
import { specsForVersion, type FieldKind, type StructSpec } from './schema.js';

/** What a compiled codec calls back into for nested values (the format owns caching and limits). */
export interface NestedCodec {
  readNested(r: DataReader, bs: BooleanStreamReader | undefined, depth: number): DataStructure | null;
  readCached(r: DataReader, bs: BooleanStreamReader | undefined, depth: number): DataStructure | null;
  readArray(r: DataReader, bs: BooleanStreamReader | undefined, depth: number): DataStructure[] | null;
  readThrowable(r: DataReader, bs: BooleanStreamReader | undefined, causes: number): WireThrowable | null;
  writeNested(o: DataStructure | null, w: DataWriter, bs: BooleanStreamWriter | undefined, depth: number): void;
  writeCached(o: DataStructure | null, w: DataWriter, bs: BooleanStreamWriter | undefined, depth: number): void;
  writeArray(a: Array<DataStructure | null> | null, w: DataWriter, bs: BooleanStreamWriter | undefined, depth: number): void;
  writeThrowable(t: WireThrowable | null, w: DataWriter, bs: BooleanStreamWriter | undefined, causes: number): void;
}

/** One structure's marshaller; `bs` undefined is loose encoding. */
export interface StructCodec {
  readonly spec: StructSpec;
  /** Reads the fields after the type byte; with `ends`, records where each field ends. */
  read(n: NestedCodec, r: DataReader, bs: BooleanStreamReader | undefined, depth: number, ends?: Record<string, number>): DataStructure;
  /** A record of field ends for read(), every field present from the start (one shape, no growth). */
  newEnds(): Record<string, number>;
  write(n: NestedCodec, o: DataStructure, w: DataWriter, bs: BooleanStreamWriter | undefined, depth: number): void;
}

/*
 * Each structure's reader and writer is generated once per version from its row in schema.ts:
 * straight-line code with the field names as literals, so that every decoded structure of a
 * type is one object literal (one hidden class) and no field goes through a generic keyed store
 * or a switch on its kind. Only the table's own names reach the generated source.
 */

const READ: Record<FieldKind, string> = {
  bool: 'P.readBool(r, bs)',
  byte: 'r.i8()',
  int: 'r.i32()',
  long: 'P.readLong(r, bs)',
  str: 'P.readString(r, bs)',
  bytes: 'P.readBytes(r, bs)',
  magic: 'r.bytes(8)',
  obj: 'n.readNested(r, bs, depth)',
  cobj: 'n.readCached(r, bs, depth)',
  arr: 'n.readArray(r, bs, depth)',
  thr: 'n.readThrowable(r, bs, 0)',
};

const WRITE: Record<FieldKind, (v: string) => string> = {
  bool: (v) => `P.writeBool(w, bs, ${v} === true)`,
  byte: (v) => `w.u8(${v} ?? 0)`,
  int: (v) => `w.i32(${v} ?? 0)`,
  long: (v) => `P.writeLong(w, bs, ${v} ?? 0)`,
  str: (v) => `P.writeString(w, bs, ${v} ?? null)`,
  bytes: (v) => `P.writeBytes(w, bs, ${v} ?? null)`,
  magic: (v) => `P.writeMagic(w, ${v})`,
  obj: (v) => `n.writeNested(${v} ?? null, w, bs, depth)`,
  cobj: (v) => `n.writeCached(${v} ?? null, w, bs, depth)`,
  arr: (v) => `n.writeArray(${v} ?? null, w, bs, depth)`,
  thr: (v) => `n.writeThrowable(${v} ?? null, w, bs, 0)`,
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function compile(spec: StructSpec): StructCodec {
  const names = spec.fields.map((f) => f.name);
  for (const name of names) if (!IDENTIFIER.test(name)) throw new Error(`bad field name ${name}`);
  const read: string[] = [];
  const props = [`typeCode: ${spec.typeCode}`];
  const ends = names.map((name) => `${name}: -1`);
  const write: string[] = [];
  if (spec.command) {
    read.push('const commandId = r.i32();', 'const responseRequired = P.readBool(r, bs);');
    props.push('commandId', 'responseRequired');
    write.push('w.i32(o.commandId ?? 0);', 'P.writeBool(w, bs, o.responseRequired === true);');
  }
  spec.fields.forEach((f, i) => {
    read.push(`const f${i} = ${READ[f.kind]};`, `if (ends !== undefined) ends.${f.name} = r.pos;`);
    props.push(`${f.name}: f${i}`);
    write.push(`${WRITE[f.kind](`o.${f.name}`)};`);
  });
  const make = new Function('P', `return {
    read(n, r, bs, depth, ends) { ${read.join(' ')} return { ${props.join(', ')} }; },
    write(n, o, w, bs, depth) { ${write.join(' ')} },
    newEnds() { return { ${ends.join(', ')} }; },
  };`) as (p: typeof P) => Omit<StructCodec, 'spec'>;
  return { spec, ...make(P) };
}

const byVersion = new Map<number, ReadonlyArray<StructCodec | undefined>>();

/** The codecs of one protocol version, indexed by type code; compiled on first use. */
export function codecsForVersion(version: number): ReadonlyArray<StructCodec | undefined> {
  let codecs = byVersion.get(version);
  if (!codecs) {
    codecs = specsForVersion(version).map((spec) => (spec ? compile(spec) : undefined));
    byVersion.set(version, codecs);
  }
  return codecs;
}
