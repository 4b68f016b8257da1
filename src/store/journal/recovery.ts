import path from 'node:path';
import { BrokerError } from '../../spi/errors.js';
import type { RecoveredState } from '../store.js';
import { fsyncDir, readFully, writeFully, type JournalIo } from './journal-io.js';
import { JournalIndex, SegmentEntry } from './journal-index.js';
import type { JournalLogger } from './journal-options.js';
import { OpKind, OpReader } from './record-codec.js';
import {
  checksumMatches, decodeSegmentHeader, findNextRecord, parseSegmentFileName, recordSeed, RECORD_HEADER_BYTES, RECORD_TYPE_BATCH,
  scanRecords, SEGMENT_HEADER_BYTES, segmentFileName, type SegmentHeader,
} from './segment.js';

export const TEMP_SUFFIX = '.tmp';
export const QUARANTINE_DIR = 'quarantine';

export interface RecoveryOptions {
  dir: string;
  io: JournalIo;
  logger: JournalLogger;
  skipCorrupt: boolean;
  /** Refuse segments written under a newer epoch (a newer active owns the journal). */
  epoch: number;
}

export interface RecoveryReport {
  segments: number;
  records: number;
  bytes: number;
  ms: number;
  truncatedBytes: number;
  quarantinedBytes: number;
  tempFilesRemoved: number;
  /** The highest epoch found in a segment header (0 for an empty journal). */
  epoch: number;
  /** The number the next new segment gets. */
  nextSegmentNo: number;
  /** The newest segment replayed (0: none) and where its records end: what a new writer seals. */
  lastSegmentNo: number;
  lastSegmentEnd: number;
  /** Bytes ignored because a newer epoch sealed the journal before a stale writer added them. */
  fencedBytes: number;
}

export interface Recovered {
  index: JournalIndex;
  state: RecoveredState;
  report: RecoveryReport;
}

function corrupt(file: string, offset: number, reason: string): BrokerError {
  return new BrokerError('STORE_FAILED', `journal segment ${file} is corrupt at byte offset ${offset}: ${reason}`);
}

/**
 * Rebuilds the index and the durable state from the segment files, in number order, verifying
 * every record. Damage at the end of the last segment (a write the crash tore, a zero-filled tail,
 * a half-written header) is cut off and logged. Damage anywhere else is corruption: open fails
 * naming file and offset, or with `skipCorrupt` the bad bytes are copied to quarantine/ and
 * replay goes on (the segment is then rewritten without them by compaction). Leftover compaction
 * temp files are removed: their segment's original is still in place.
 *
 * Epoch fencing. A writer opening under epoch E > 0 first writes a seal (record-codec.ts) as the
 * first record of a new segment: "the newest segment was N, ending at L". A stale writer of an
 * older epoch may still append to N, or roll into a new segment, before it notices; replay
 * therefore reads the seals first (one short read per segment) and ignores, in segments of an
 * older epoch than a seal, the bytes of N past L and every segment after N.
 *
 * Kept apart from the store so that a standby can replay the same directory on takeover.
 */
export async function recoverJournal(o: RecoveryOptions): Promise<Recovered> {
  const started = performance.now();
  const { io, dir, logger } = o;
  const report: RecoveryReport = {
    segments: 0, records: 0, bytes: 0, ms: 0, truncatedBytes: 0, quarantinedBytes: 0, tempFilesRemoved: 0, epoch: 0,
    nextSegmentNo: 1, lastSegmentNo: 0, lastSegmentEnd: 0, fencedBytes: 0,
  };
  await io.mkdir(dir);
  const names = await io.readdir(dir);
  for (const name of names.filter((n) => n.endsWith(TEMP_SUFFIX))) {
    await io.unlink(path.join(dir, name));
    report.tempFilesRemoved++;
    logger.warn({ file: name }, 'journal: removed leftover temp file of an interrupted compaction');
  }
  const numbers = names.map(parseSegmentFileName).filter((n): n is number => n !== undefined).sort((a, b) => a - b);
  if (numbers.length) report.nextSegmentNo = numbers[numbers.length - 1]! + 1;

  const index = new JournalIndex();
  const reader = new OpReader();
  const limits = fenceLimits(await readSeals(io, dir, numbers, reader));
  for (let i = 0; i < numbers.length; i++) {
    const no = numbers[i]!;
    // A sealed segment's prefix was whole when the seal was written: damage in it is corruption.
    const r = await recoverSegment(o, index, reader, no, i === numbers.length - 1 && !limits.has(no), limits, report);
    if (!r) continue;
    report.segments++;
    report.epoch = Math.max(report.epoch, r.seg.epoch);
    report.lastSegmentNo = no;
    report.lastSegmentEnd = r.end;
  }
  const state = index.finishRecovery();
  report.ms = performance.now() - started;
  logger.info({ ...report }, 'journal: recovered');
  return { index, state, report };
}

interface Seal {
  epoch: number;
  segmentNo: number;
  length: number;
}

/** Segment headers' epochs and the seals found as first records (pass one). */
async function readSeals(io: JournalIo, dir: string, numbers: number[], reader: OpReader): Promise<{ epochs: Map<number, number>; seals: Seal[] }> {
  const epochs = new Map<number, number>();
  const seals: Seal[] = [];
  const head = Buffer.alloc(SEGMENT_HEADER_BYTES + RECORD_HEADER_BYTES + 64);
  for (const no of numbers) {
    const fd = await io.open(path.join(dir, segmentFileName(no)), 'r');
    try {
      const n = await readFully(io, fd, head, 0, head.length, 0);
      const header = decodeSegmentHeader(head, n);
      if (typeof header === 'string') continue;
      epochs.set(no, header.epoch);
      const first = firstRecord(head, n, no);
      if (!first) continue;
      reader.reset(head, first.start, first.end);
      while (reader.next()) {
        if (reader.kind === OpKind.seal) seals.push({ epoch: reader.num, segmentNo: reader.segmentNo, length: reader.length });
      }
    } catch {
      // Not a seal: pass two reports whatever is wrong with this segment.
    } finally {
      await io.close(fd);
    }
  }
  return { epochs, seals };
}

/** The contents of the segment's first record when it fits the bytes read and checks out. */
function firstRecord(buf: Buffer, n: number, no: number): { start: number; end: number } | undefined {
  const at = SEGMENT_HEADER_BYTES;
  if (n < at + RECORD_HEADER_BYTES || buf[at + 4] !== RECORD_TYPE_BATCH) return undefined;
  const end = at + RECORD_HEADER_BYTES + buf.readUInt32LE(at);
  if (end > n || !checksumMatches(buf, at, end, recordSeed(no))) return undefined;
  return { start: at + RECORD_HEADER_BYTES, end };
}

/** How far to replay each segment that a seal of a newer epoch cut (SEGMENT_HEADER_BYTES: not at all). */
function fenceLimits({ epochs, seals }: { epochs: Map<number, number>; seals: Seal[] }): Map<number, number> {
  const limits = new Map<number, number>();
  for (const seal of seals) {
    for (const [no, epoch] of epochs) {
      if (epoch >= seal.epoch || no < seal.segmentNo) continue;
      const limit = no === seal.segmentNo ? seal.length : SEGMENT_HEADER_BYTES;
      limits.set(no, Math.min(limits.get(no) ?? limit, limit));
    }
  }
  return limits;
}

async function recoverSegment(
  o: RecoveryOptions, index: JournalIndex, reader: OpReader, no: number, tornTailPossible: boolean, limits: Map<number, number>,
  report: RecoveryReport,
): Promise<{ seg: SegmentEntry; end: number } | undefined> {
  const { io, logger } = o;
  const name = segmentFileName(no);
  const file = path.join(o.dir, name);
  const fd = await io.open(file, 'r+');
  let closed = false;
  try {
    const fileSize = await io.fileSize(fd);
    const limit = limits.get(no);
    const size = limit === undefined ? fileSize : Math.min(fileSize, Math.max(limit, SEGMENT_HEADER_BYTES));
    const head = Buffer.alloc(SEGMENT_HEADER_BYTES);
    const headLen = await readFully(io, fd, head, 0, SEGMENT_HEADER_BYTES, 0);
    let header: SegmentHeader | string = decodeSegmentHeader(head, headLen);
    if (typeof header !== 'string' && header.segmentNo !== no) header = `header names segment ${header.segmentNo}`;
    if (typeof header === 'string') {
      const next = size > SEGMENT_HEADER_BYTES ? await findNextRecord(io, fd, size, no, SEGMENT_HEADER_BYTES - 1) : -1;
      if (tornTailPossible && next < 0) {
        logger.warn({ segment: name, offset: 0, droppedBytes: size, reason: header }, 'journal: removed torn last segment');
        report.truncatedBytes += size;
        await io.close(fd);
        closed = true;
        await io.unlink(file);
        await fsyncDir(io, o.dir);
        return undefined;
      }
      if (!o.skipCorrupt) throw corrupt(name, 0, header);
      await io.close(fd);
      closed = true;
      await quarantineFile(o, name, size, report);
      return undefined;
    }
    if (header.epoch > o.epoch) {
      throw new BrokerError('STORE_FAILED', `journal segment ${name} was written under epoch ${header.epoch}, newer than ours (${o.epoch}): fenced`);
    }
    const seg = new SegmentEntry(no, header.epoch, header.generation, SEGMENT_HEADER_BYTES, true);
    index.addSegment(seg);
    if (size < fileSize) {
      // A stale writer's bytes after the seal: never replayed, dropped when compaction rewrites.
      report.fencedBytes += fileSize - size;
      index.totalBytes += fileSize - size;
      seg.size += fileSize - size;
      seg.forceCompact = true;
      logger.warn({ segment: name, offset: size, ignoredBytes: fileSize - size }, 'journal: ignored bytes a fenced writer added');
    }
    let end = size;
    let at = SEGMENT_HEADER_BYTES;
    const visit = (buf: Buffer, contentStart: number, contentEnd: number, offset: number, bytes: number): void => {
      const rec = index.newRecord(seg, offset);
      try {
        index.replayRecord(rec, reader.reset(buf, contentStart, contentEnd));
      } catch (e) {
        throw corrupt(name, offset, `undecodable record (${(e as Error).message})`);
      }
      index.sealRecord(rec, bytes);
      report.records++;
      report.bytes += bytes;
    };
    for (;;) {
      const stop = await scanRecords(io, fd, size, no, at, visit);
      if (!stop) break;
      const next = await findNextRecord(io, fd, size, no, stop.offset);
      if (next < 0 && tornTailPossible) {
        await io.ftruncate(fd, stop.offset);
        await io.fsync(fd);
        report.truncatedBytes += size - stop.offset;
        logger.warn({ segment: name, offset: stop.offset, droppedBytes: size - stop.offset, reason: stop.reason }, 'journal: truncated torn tail');
        end = stop.offset;
        break;
      }
      const badEnd = next < 0 ? size : next;
      if (!o.skipCorrupt) {
        throw corrupt(name, stop.offset, next < 0 ? `${stop.reason} (in a segment that is not the last)` : `${stop.reason}; valid records follow at ${next}`);
      }
      await quarantineBytes(o, name, fd, stop.offset, badEnd, report);
      index.totalBytes += badEnd - stop.offset;
      seg.size += badEnd - stop.offset;
      seg.forceCompact = true;
      if (next < 0) break;
      at = next;
    }
    return { seg, end };
  } finally {
    if (!closed) await io.close(fd);
  }
}

async function quarantineDir(o: RecoveryOptions): Promise<string> {
  const dir = path.join(o.dir, QUARANTINE_DIR);
  await o.io.mkdir(dir);
  return dir;
}

async function quarantineFile(o: RecoveryOptions, name: string, size: number, report: RecoveryReport): Promise<void> {
  const to = path.join(await quarantineDir(o), name);
  await o.io.rename(path.join(o.dir, name), to);
  await fsyncDir(o.io, o.dir);
  report.quarantinedBytes += size;
  o.logger.error({ segment: name, offset: 0, bytes: size, quarantine: to }, 'journal: quarantined segment with a corrupt header');
}

async function quarantineBytes(o: RecoveryOptions, name: string, fd: number, from: number, to: number, report: RecoveryReport): Promise<void> {
  const { io } = o;
  const dest = path.join(await quarantineDir(o), `${name}@${from}.bad`);
  const out = await io.open(dest, 'w');
  try {
    const buf = Buffer.allocUnsafe(Math.min(to - from, 4 * 1024 * 1024));
    for (let pos = from; pos < to;) {
      const n = await readFully(io, fd, buf, 0, Math.min(buf.length, to - pos), pos);
      if (n === 0) break;
      await writeFully(io, out, buf, 0, n, pos - from);
      pos += n;
    }
    await io.fsync(out);
  } finally {
    await io.close(out);
  }
  report.quarantinedBytes += to - from;
  o.logger.error({ segment: name, offset: from, bytes: to - from, quarantine: dest }, 'journal: quarantined corrupt records');
}
