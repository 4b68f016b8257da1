import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The files of the HA lock, in `<dataDir>/ha/`:
 *
 * - `epoch-<N>` (N zero-padded to 12 digits): created with O_EXCL by the process that becomes
 *   active for epoch N. Exclusive create is atomic on local file systems and on NFSv4 (EFS), so
 *   at most one process ever owns an epoch. The highest N is the current epoch; N is the fencing
 *   token written into every journal segment its owner creates. Content: JSON { owner, createdAt }.
 * - `lease`: JSON { epoch, owner, beat, leaseMs, released? }, rewritten (temp file + rename) by the
 *   active every renew interval with `beat` incremented. Standbys never trust wall clocks across
 *   machines: they watch `beat` change, on their own monotonic clock.
 */
export interface LeaseRecord {
  epoch: number;
  owner: string;
  beat: number;
  leaseMs: number;
  /** Set by a planned handoff: a standby may claim the next epoch at once. */
  released?: boolean;
}

const EPOCH_PREFIX = 'epoch-';

export class LeaseFiles {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'ha');
    mkdirSync(this.dir, { recursive: true });
  }

  /** The highest claimed epoch (0 when none). A directory deleted by hand is made again. */
  currentEpoch(): number {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(this.dir, { recursive: true });
      names = [];
    }
    let max = 0;
    for (const name of names) {
      if (!name.startsWith(EPOCH_PREFIX)) continue;
      const n = Number(name.slice(EPOCH_PREFIX.length));
      if (Number.isSafeInteger(n) && n > max) max = n;
    }
    return max;
  }

  /** Tries to own `epoch`; true when this call created its file. */
  claim(epoch: number, owner: string): boolean {
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, `${EPOCH_PREFIX}${String(epoch).padStart(12, '0')}`);
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
    try {
      writeSync(fd, JSON.stringify({ owner, createdAt: new Date().toISOString() }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.syncDir();
    return true;
  }

  /** Reads the lease; undefined when it is missing or unreadable (deleted or corrupted by hand). */
  readLease(): LeaseRecord | undefined {
    try {
      const r = JSON.parse(readFileSync(join(this.dir, 'lease'), 'utf8')) as LeaseRecord;
      if (typeof r.epoch !== 'number' || typeof r.beat !== 'number' || typeof r.owner !== 'string') return undefined;
      return r;
    } catch {
      return undefined;
    }
  }

  /**
   * Not fsynced: the lease is a liveness signal read by a live standby, never needed after a
   * crash (the epoch files, which are fsynced, carry what must survive). Close-to-open
   * consistency makes the new content visible to readers on NFS once the file is closed.
   */
  /** `writer` keeps the temp files of two threads of one owner apart. */
  writeLease(record: LeaseRecord, writer = 'main'): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = join(this.dir, `lease.${record.owner}.${writer}.tmp`);
    writeFileSync(tmp, JSON.stringify(record));
    renameSync(tmp, join(this.dir, 'lease'));
  }

  private syncDir(): void {
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
