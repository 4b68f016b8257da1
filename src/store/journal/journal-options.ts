import { nodeIo, type JournalIo } from './journal-io.js';
import type { SyncPolicy } from './group-commit.js';

export type InlineSync = 'auto' | 'on' | 'off';

/** The subset of a pino logger the journal uses. */
export interface JournalLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface JournalOptions {
  /** The journal directory (created if missing); segments live directly in it. */
  dir: string;
  /** `always` (default): a commit resolves after fdatasync. `interval`: see group-commit.ts. */
  sync?: SyncPolicy;
  /** fdatasync period under `sync: 'interval'`. Default 100. */
  syncIntervalMs?: number;
  /**
   * Group commits write and fdatasync in the event loop (`on`) or in libuv's thread pool (`off`);
   * `auto` (default): in the loop unless the directory is on a network file system. See group-commit.ts.
   */
  inlineSync?: InlineSync;
  /** A segment rolls once it holds this many bytes (a soft limit: a record never splits). Default 64 MiB. */
  segmentBytes?: number;
  /** Store size limit; none by default. Segments are then at most maxBytes / 8, so compaction has room. */
  maxBytes?: number;
  /** At maxBytes, commits that add data wait for space (`block`, default) or reject STORE_FULL (`fail`). */
  onFull?: 'block' | 'fail';
  /** Quarantine corrupt records to `<dir>/quarantine/` and go on, instead of refusing to open. */
  skipCorrupt?: boolean;
  /** Rewrite a segment once less than this fraction of it is live. Default 0.25. */
  compactBelowLiveFraction?: number;
  /** How often compaction looks for work besides after each roll. Default 10 000. */
  compactIntervalMs?: number;
  /**
   * Fencing token (HA), written into new segment headers. Above 0, open() seals the journal as it
   * found it (see recovery.ts); it refuses a journal written under a newer epoch. Default 0.
   */
  epoch?: number;
  /**
   * Asked after each write and sync, before any commit resolves, and before compaction changes a
   * file: false once this process lost its HA lease, which fails the store. Default: always true.
   */
  mayAcknowledge?: () => boolean;
  logger?: JournalLogger;
  /** Test-only: the file-system calls, to inject disk faults. */
  io?: JournalIo;
}

export type ResolvedJournalOptions = Required<Omit<JournalOptions, 'maxBytes'>> & { maxBytes: number };

const MIB = 1024 * 1024;
const MIN_SEGMENT_BYTES = 16 * 1024;

const silent: JournalLogger = { debug() {}, info() {}, warn() {}, error() {} };

export function resolveJournalOptions(o: JournalOptions): ResolvedJournalOptions {
  const maxBytes = o.maxBytes ?? Number.POSITIVE_INFINITY;
  const segmentBytes = Math.max(1, Math.min(o.segmentBytes ?? 64 * MIB, Math.max(MIN_SEGMENT_BYTES, Math.floor(maxBytes / 8))));
  const epoch = o.epoch ?? 0;
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`journal epoch must be a non-negative integer, got ${epoch}`);
  return {
    dir: o.dir,
    sync: o.sync ?? 'always',
    syncIntervalMs: o.syncIntervalMs ?? 100,
    inlineSync: o.inlineSync ?? 'auto',
    segmentBytes,
    maxBytes,
    onFull: o.onFull ?? 'block',
    skipCorrupt: o.skipCorrupt ?? false,
    compactBelowLiveFraction: o.compactBelowLiveFraction ?? 0.25,
    compactIntervalMs: o.compactIntervalMs ?? 10_000,
    epoch,
    mayAcknowledge: o.mayAcknowledge ?? (() => true),
    logger: o.logger ?? silent,
    io: o.io ?? nodeIo,
  };
}
