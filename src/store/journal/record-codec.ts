import { writeShortAscii } from '../../util/ascii.js';
import type { StoreOp } from '../store.js';

/**
 * The contents of a batch record (type 1, see segment.ts): the store ops of one commit, back to
 * back, until the end of the contents. Only ops that changed the store's state when committed are
 * written (a dequeue of an unknown reference is not), so replay can treat `message` and `enqueue`
 * as "set" and does not depend on the ops compaction dropped.
 *
 *   op := kind:u8 fields
 *     1 message         id:str data:bytes
 *     2 enqueue         queue:str id:str seq:uvarint
 *     3 dequeue         queue:str id:str
 *     4 delivery-count  queue:str id:str count:uvarint
 *     5 queue-put       queue:str meta:bytes
 *     6 queue-delete    queue:str
 *     7 kv-put          space:str key:str value:bytes
 *     8 kv-delete       space:str key:str
 *   str     := byteLength:uvarint, UTF-8 bytes
 *   bytes   := length:uvarint, raw bytes
 *   uvarint := LEB128: 7 bits a byte, low group first, high bit set on all but the last; < 2^53
 *
 *   Written by the journal, not committed as such:
 *     9 dequeue-drop    queue:str id:str    a dequeue that removed the body's last reference
 *    10 message-drop    id:str              a body whose last reference a queue-delete removed
 *    11 seal            epoch:uvarint segment:uvarint length:uvarint
 *                       opening under `epoch`, the writer found `segment` (its newest) ending at
 *                       `length`: replay ignores bytes a writer of an older epoch put after that
 *                       point, and its segments numbered after it (epoch fencing, recovery.ts)
 *
 * A message body appears once (its `message` op) however many queues reference it. Replay drops
 * a body only at ops 9 and 10, never because a reference count reached zero: compaction may have
 * dropped both the enqueue and the dequeue of another reference, so on replay a count can reach
 * zero where the body was in fact still referenced.
 */
export const OpKind = {
  message: 1,
  enqueue: 2,
  dequeue: 3,
  'delivery-count': 4,
  'queue-put': 5,
  'queue-delete': 6,
  'kv-put': 7,
  'kv-delete': 8,
  'dequeue-drop': 9,
  'message-drop': 10,
  seal: 11,
} as const;

const KIND_NAMES = [
  '', 'message', 'enqueue', 'dequeue', 'delivery-count', 'queue-put', 'queue-delete', 'kv-put', 'kv-delete', 'dequeue', 'message-drop',
  'seal',
] as const;

export class CodecError extends Error {}

/** A growable byte buffer that records and ops are encoded into directly. */
export class ByteSink {
  buf: Buffer;
  len = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v;
  }

  uvarint(v: number): void {
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  str(s: string): void {
    // Write the UTF-8 bytes after a one-byte length and move them if the length needs more.
    this.ensure(4 + s.length * 3);
    const start = this.len;
    const ascii = writeShortAscii(this.buf, start + 1, s);
    const n = ascii >= 0 ? ascii : this.buf.write(s, start + 1, 'utf8');
    if (n < 0x80) {
      this.buf[start] = n;
      this.len = start + 1 + n;
      return;
    }
    const lenBytes = uvarintBytes(n);
    this.buf.copyWithin(start + lenBytes, start + 1, start + 1 + n);
    this.len = start;
    this.uvarint(n);
    this.len += n;
  }

  bytes(b: Uint8Array): void {
    this.uvarint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Appends raw bytes already in the journal's encoding. */
  raw(src: Uint8Array, start: number, end: number): void {
    this.ensure(end - start);
    this.buf.set(src.subarray(start, end), this.len);
    this.len += end - start;
  }
}

export function uvarintBytes(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

export function encodeOp(sink: ByteSink, op: StoreOp): void {
  sink.u8(OpKind[op.kind]);
  switch (op.kind) {
    case 'message':
      sink.str(op.id);
      sink.bytes(op.data);
      return;
    case 'enqueue':
      sink.str(op.queue);
      sink.str(op.id);
      sink.uvarint(op.seq);
      return;
    case 'dequeue':
      sink.str(op.queue);
      sink.str(op.id);
      return;
    case 'delivery-count':
      sink.str(op.queue);
      sink.str(op.id);
      sink.uvarint(op.count);
      return;
    case 'queue-put':
      sink.str(op.queue);
      sink.bytes(op.meta);
      return;
    case 'queue-delete':
      sink.str(op.queue);
      return;
    case 'kv-put':
      sink.str(op.space);
      sink.str(op.key);
      sink.bytes(op.value);
      return;
    case 'kv-delete':
      sink.str(op.space);
      sink.str(op.key);
      return;
    default: {
      const never: never = op;
      throw new CodecError(`unknown store op ${(never as { kind: string }).kind}`);
    }
  }
}

/** Marks the dequeue encoded at `opStart` as the one that removed its body's last reference. */
export function markBodyDropped(sink: ByteSink, opStart: number): void {
  sink.buf[opStart] = OpKind['dequeue-drop'];
}

export function encodeMessageDrop(sink: ByteSink, id: string): void {
  sink.u8(OpKind['message-drop']);
  sink.str(id);
}

export function encodeSeal(sink: ByteSink, epoch: number, segmentNo: number, length: number): void {
  sink.u8(OpKind.seal);
  sink.uvarint(epoch);
  sink.uvarint(segmentNo);
  sink.uvarint(length);
}

/**
 * Remembers the last string decoded from a field, so that a run of ops naming the same queue or
 * the same message id (`message` then `enqueue`) decodes it once: replay allocates no string for
 * a repeated name and Map lookups reuse its cached hash.
 */
class StringCache {
  private readonly bytes = Buffer.allocUnsafe(64);
  private len = -1;
  private value = '';

  read(buf: Buffer, start: number, end: number): string {
    const n = end - start;
    if (n === this.len && this.matches(buf, start, n)) return this.value;
    this.value = buf.toString('utf8', start, end);
    if (n <= this.bytes.length) {
      for (let i = 0; i < n; i++) this.bytes[i] = buf[start + i]!;
      this.len = n;
    } else {
      this.len = -1;
    }
    return this.value;
  }

  private matches(buf: Buffer, start: number, n: number): boolean {
    for (let i = n - 1; i >= 0; i--) if (buf[start + i] !== this.bytes[i]) return false;
    return true;
  }
}

/**
 * A cursor over the ops of one record that decodes in place: after next() the fields of the
 * current op are in its properties (`name` is the queue or kv space, `id` the message id or kv
 * key, `num` the seq or count, [valueStart, valueEnd) the data, meta or value bytes), and
 * [opStart, opEnd) its encoded bytes. One reader is reused for every record.
 */
export class OpReader {
  kind = 0;
  name = '';
  id = '';
  num = 0;
  /** For a seal: the segment and its length (`num` is the epoch). */
  segmentNo = 0;
  length = 0;
  valueStart = 0;
  valueEnd = 0;
  opStart = 0;
  opEnd = 0;
  buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private end = 0;
  private readonly names = new StringCache();
  private readonly ids = new StringCache();

  reset(buf: Buffer, start: number, end: number): this {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    return this;
  }

  next(): boolean {
    if (this.pos >= this.end) return false;
    this.opStart = this.pos;
    const kind = (this.kind = this.buf[this.pos++]!);
    switch (kind) {
      case OpKind.message:
        this.id = this.string(this.ids);
        this.value();
        break;
      case OpKind.enqueue:
      case OpKind['delivery-count']:
        this.name = this.string(this.names);
        this.id = this.string(this.ids);
        this.num = this.uvarint();
        break;
      case OpKind.dequeue:
      case OpKind['dequeue-drop']:
        this.name = this.string(this.names);
        this.id = this.string(this.ids);
        break;
      case OpKind['queue-put']:
        this.name = this.string(this.names);
        this.value();
        break;
      case OpKind['queue-delete']:
        this.name = this.string(this.names);
        break;
      case OpKind['message-drop']:
        this.id = this.string(this.ids);
        break;
      case OpKind.seal:
        this.num = this.uvarint();
        this.segmentNo = this.uvarint();
        this.length = this.uvarint();
        break;
      case OpKind['kv-put']:
        this.name = this.string(this.names);
        this.id = this.string(this.ids);
        this.value();
        break;
      case OpKind['kv-delete']:
        this.name = this.string(this.names);
        this.id = this.string(this.ids);
        break;
      default:
        throw new CodecError(`unknown op kind ${kind} at ${this.opStart}`);
    }
    this.opEnd = this.pos;
    return true;
  }

  /**
   * The current op as the StoreOp that was committed (copies bytes), undefined for the ops the
   * journal adds (message-drop, seal); for tests and tools, not the replay path.
   */
  toStoreOp(): StoreOp | undefined {
    const value = () => new Uint8Array(this.buf.subarray(this.valueStart, this.valueEnd));
    const kind = KIND_NAMES[this.kind]!;
    switch (kind) {
      case 'message': return { kind, id: this.id, data: value() };
      case 'enqueue': return { kind, queue: this.name, id: this.id, seq: this.num };
      case 'dequeue': return { kind, queue: this.name, id: this.id };
      case 'delivery-count': return { kind, queue: this.name, id: this.id, count: this.num };
      case 'queue-put': return { kind, queue: this.name, meta: value() };
      case 'queue-delete': return { kind, queue: this.name };
      case 'kv-put': return { kind, space: this.name, key: this.id, value: value() };
      case 'kv-delete': return { kind, space: this.name, key: this.id };
      case 'message-drop':
      case 'seal':
        return undefined;
      default: throw new CodecError(`unknown op kind ${this.kind}`);
    }
  }

  private uvarint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw new CodecError('truncated varint');
      const b = this.buf[this.pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 0x80;
    }
    throw new CodecError('varint too long');
  }

  private span(): number {
    const n = this.uvarint();
    const start = this.pos;
    if (n > this.end - start) throw new CodecError('field overruns the record');
    this.pos += n;
    return start;
  }

  private string(cache: StringCache): string {
    const start = this.span();
    return cache.read(this.buf, start, this.pos);
  }

  private value(): void {
    this.valueStart = this.span();
    this.valueEnd = this.pos;
  }
}

/** Decodes a whole record's contents into the StoreOps committed (tests and tools). */
export function decodeOps(buf: Buffer, start = 0, end = buf.length): StoreOp[] {
  const r = new OpReader().reset(buf, start, end);
  const ops: StoreOp[] = [];
  while (r.next()) {
    const op = r.toStoreOp();
    if (op) ops.push(op);
  }
  return ops;
}
