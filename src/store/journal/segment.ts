import { crc32c } from '@node-rs/crc32';
import { readFully, type JournalIo } from './journal-io.js';

/**
 * Journal segment files and record framing.
 *
 * A journal is a directory of segment files `journal-<number>.wal` (number zero-padded to 8+
 * digits, so names sort like numbers), replayed in number order. Little-endian throughout.
 *
 * Segment header, 40 bytes:
 *    0  8  magic "WHARFJNL"
 *    8  2  format version, 1
 *   10  2  flags: bit 0 = written by compaction
 *   12  4  generation: 0 when first written, +1 each time compaction rewrites the segment
 *   16  8  epoch (u64): the writer's fencing token (HA); 0 without HA
 *   24  8  segment number (u64), equal to the number in the file name
 *   32  4  CRC32C of bytes 0..31
 *   36  4  reserved, 0
 *
 * Then records, back to back to the end of the file:
 *    0  4  contents length n, 1..MAX_RECORD_BYTES
 *    4  1  type: 1 = batch (the ops of the commits of one group commit, record-codec.ts)
 *    5  3  reserved, 0
 *    8  4  CRC32C of the contents, with initial state recordSeed(segment number) XOR the u32 at
 *          bytes 4..7, so a changed type or reserved byte, or a record copied from another
 *          segment, fails the check too (a changed length moves the checked range)
 *   12  n  contents
 *
 * A record is whole or absent: recovery keeps the longest prefix of valid records of the last
 * segment (a torn tail) and treats an invalid record followed by valid ones as corruption.
 */
export const SEGMENT_HEADER_BYTES = 40;
export const RECORD_HEADER_BYTES = 12;
export const RECORD_TYPE_BATCH = 1;
export const MAX_RECORD_BYTES = 0x4000_0000;
export const FORMAT_VERSION = 1;
export const FLAG_COMPACTED = 1;
const MAGIC = Buffer.from('WHARFJNL', 'latin1');

const NAME_RE = /^journal-(\d{8,})\.wal$/;

export function segmentFileName(no: number): string {
  return `journal-${String(no).padStart(8, '0')}.wal`;
}

/** The segment number of a segment file name, or undefined for any other name. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = NAME_RE.exec(name);
  return m ? Number(m[1]) : undefined;
}

export interface SegmentHeader {
  flags: number;
  generation: number;
  epoch: number;
  segmentNo: number;
}

export function encodeSegmentHeader(h: SegmentHeader, out: Buffer, off = 0): void {
  MAGIC.copy(out, off);
  out.writeUInt16LE(FORMAT_VERSION, off + 8);
  out.writeUInt16LE(h.flags, off + 10);
  out.writeUInt32LE(h.generation >>> 0, off + 12);
  out.writeBigUInt64LE(BigInt(h.epoch), off + 16);
  out.writeBigUInt64LE(BigInt(h.segmentNo), off + 24);
  out.writeUInt32LE(crc32c(out.subarray(off, off + 32)), off + 32);
  out.writeUInt32LE(0, off + 36);
}

/** The header, or the reason it is not valid. */
export function decodeSegmentHeader(buf: Buffer, len: number): SegmentHeader | string {
  if (len < SEGMENT_HEADER_BYTES) return `segment header truncated (${len} of ${SEGMENT_HEADER_BYTES} bytes)`;
  if (!buf.subarray(0, 8).equals(MAGIC)) return 'bad segment magic';
  if (buf.readUInt32LE(32) !== crc32c(buf.subarray(0, 32))) return 'segment header checksum mismatch';
  const version = buf.readUInt16LE(8);
  if (version !== FORMAT_VERSION) return `unsupported journal format version ${version}`;
  return {
    flags: buf.readUInt16LE(10),
    generation: buf.readUInt32LE(12),
    epoch: Number(buf.readBigUInt64LE(16)),
    segmentNo: Number(buf.readBigUInt64LE(24)),
  };
}

export function recordSeed(segmentNo: number): number {
  return Math.imul((segmentNo ^ Math.floor(segmentNo / 0x1_0000_0000)) >>> 0, 0x9e37_79b1) >>> 0;
}

function recordCrc(buf: Buffer, start: number, end: number, seed: number): number {
  return crc32c(buf.subarray(start + RECORD_HEADER_BYTES, end), (seed ^ buf.readUInt32LE(start + 4)) >>> 0);
}

/** Fills in the header of the record at [start, end) whose contents are already in place. */
export function frameRecord(buf: Buffer, start: number, end: number, type: number, seed: number): void {
  buf.writeUInt32LE(end - start - RECORD_HEADER_BYTES, start);
  buf.writeUInt32LE(type, start + 4);
  buf.writeUInt32LE(recordCrc(buf, start, end, seed), start + 8);
}

/** Whether the record at [start, end) (header included) has a matching checksum. */
export function checksumMatches(buf: Buffer, start: number, end: number, seed: number): boolean {
  return buf.readUInt32LE(start + 8) === recordCrc(buf, start, end, seed);
}

/** Why the record header at `p` cannot start a record, or undefined if it could. */
function headerProblem(buf: Buffer, p: number, fileOffset: number, fileSize: number): string | undefined {
  if (buf[p + 4] !== RECORD_TYPE_BATCH) return `unknown record type ${buf[p + 4]}`;
  if (buf[p + 5]! | buf[p + 6]! | buf[p + 7]!) return 'reserved record header bytes are not zero';
  const len = buf.readUInt32LE(p);
  if (len === 0 || len > MAX_RECORD_BYTES) return `record length ${len} out of range`;
  if (fileOffset + RECORD_HEADER_BYTES + len > fileSize) return 'record runs past the end of the file';
  return undefined;
}

export type RecordVisitor = (buf: Buffer, contentStart: number, contentEnd: number, fileOffset: number, recordBytes: number) => void;

/** Where and why a scan stopped before the end of the file. */
export interface ScanStop {
  offset: number;
  reason: string;
}

export const SCAN_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Reads the records of a segment from `from` with large sequential reads, verifies each and
 * hands it to `visit` in place. Each read goes to a fresh buffer, so `visit` may keep views of
 * it. Returns null at a clean end of file, else where the first invalid record starts.
 */
export async function scanRecords(
  io: JournalIo, fd: number, fileSize: number, segmentNo: number, from: number, visit: RecordVisitor,
  chunkBytes = SCAN_CHUNK_BYTES,
): Promise<ScanStop | null> {
  const seed = recordSeed(segmentNo);
  let buf = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(fileSize - from, RECORD_HEADER_BYTES)));
  let base = from; // file offset of buf[0]
  let have = 0;
  let p = 0;
  const refill = async (need: number): Promise<void> => {
    const next = Buffer.allocUnsafe(Math.max(need, Math.min(chunkBytes, fileSize - base - p)));
    buf.copy(next, 0, p, have);
    buf = next;
    base += p;
    have -= p;
    p = 0;
    have += await readFully(io, fd, buf, have, buf.length - have, base + have);
  };
  for (;;) {
    if (have - p < RECORD_HEADER_BYTES) {
      if (base + have < fileSize) await refill(RECORD_HEADER_BYTES);
      if (have - p === 0) return null;
      if (have - p < RECORD_HEADER_BYTES) return { offset: base + p, reason: 'record header truncated' };
    }
    const problem = headerProblem(buf, p, base + p, fileSize);
    if (problem) return { offset: base + p, reason: problem };
    const total = RECORD_HEADER_BYTES + buf.readUInt32LE(p);
    if (have - p < total) {
      await refill(total);
      if (have < total) return { offset: base, reason: 'record truncated' };
    }
    if (!checksumMatches(buf, p, p + total, seed)) {
      return { offset: base + p, reason: 'record checksum mismatch' };
    }
    visit(buf, p + RECORD_HEADER_BYTES, p + total, base + p, total);
    p += total;
  }
}

/**
 * The offset of the first valid record that starts after `after`, or -1: tells a torn tail (no
 * valid record follows the damage) from corruption in the middle (one does).
 */
export async function findNextRecord(io: JournalIo, fd: number, fileSize: number, segmentNo: number, after: number): Promise<number> {
  const seed = recordSeed(segmentNo);
  const chunk = Buffer.allocUnsafe(Math.min(SCAN_CHUNK_BYTES, Math.max(fileSize, RECORD_HEADER_BYTES)));
  for (let base = after + 1; base + RECORD_HEADER_BYTES <= fileSize;) {
    const n = await readFully(io, fd, chunk, 0, chunk.length, base);
    if (n < RECORD_HEADER_BYTES) break;
    for (let i = 0; i + RECORD_HEADER_BYTES <= n; i++) {
      if (chunk[i + 4] !== RECORD_TYPE_BATCH || headerProblem(chunk, i, base + i, fileSize)) continue;
      const total = RECORD_HEADER_BYTES + chunk.readUInt32LE(i);
      let rec = chunk;
      let at = i;
      if (i + total > n) {
        rec = Buffer.allocUnsafe(total);
        if ((await readFully(io, fd, rec, 0, total, base + i)) < total) continue;
        at = 0;
      }
      if (checksumMatches(rec, at, at + total, seed)) return base + i;
    }
    base += n - RECORD_HEADER_BYTES + 1;
  }
  return -1;
}
