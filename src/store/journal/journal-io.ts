import fs from 'node:fs';

/**
 * The file-system calls the journal makes, as one small interface so that tests can inject a
 * failing disk (ENOSPC, EIO) where a real small file system cannot be mounted. Production uses
 * `nodeIo`: the callback API wrapped once, cheaper per call than fs.promises file handles.
 */
export interface JournalIo {
  open(path: string, flags: string): Promise<number>;
  close(fd: number): Promise<void>;
  read(fd: number, buf: Uint8Array, off: number, len: number, pos: number): Promise<number>;
  write(fd: number, buf: Uint8Array, off: number, len: number, pos: number): Promise<number>;
  fdatasync(fd: number): Promise<void>;
  /** On the calling thread (the group commit's inline mode): returns when the call returns. */
  writeSync(fd: number, buf: Uint8Array, off: number, len: number, pos: number): number;
  fdatasyncSync(fd: number): void;
  fsync(fd: number): Promise<void>;
  ftruncate(fd: number, len: number): Promise<void>;
  fileSize(fd: number): Promise<number>;
  readdir(dir: string): Promise<string[]>;
  mkdir(dir: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

function call<T>(fn: (cb: (err: NodeJS.ErrnoException | null, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
}

export const nodeIo: JournalIo = {
  open: (path, flags) => call((cb) => fs.open(path, flags, 0o644, cb)),
  close: (fd) => call((cb) => fs.close(fd, (e) => cb(e, undefined))),
  read: (fd, buf, off, len, pos) => call((cb) => fs.read(fd, buf, off, len, pos, cb)),
  write: (fd, buf, off, len, pos) => call((cb) => fs.write(fd, buf, off, len, pos, cb)),
  fdatasync: (fd) => call((cb) => fs.fdatasync(fd, (e) => cb(e, undefined))),
  writeSync: (fd, buf, off, len, pos) => fs.writeSync(fd, buf, off, len, pos),
  fdatasyncSync: (fd) => fs.fdatasyncSync(fd),
  fsync: (fd) => call((cb) => fs.fsync(fd, (e) => cb(e, undefined))),
  ftruncate: (fd, len) => call((cb) => fs.ftruncate(fd, len, (e) => cb(e, undefined))),
  fileSize: (fd) => call<fs.Stats>((cb) => fs.fstat(fd, cb)).then((s) => s.size),
  readdir: (dir) => call((cb) => fs.readdir(dir, cb)),
  mkdir: (dir) => call((cb) => fs.mkdir(dir, { recursive: true }, (e) => cb(e, undefined))),
  rename: (from, to) => call((cb) => fs.rename(from, to, (e) => cb(e, undefined))),
  unlink: (path) => call((cb) => fs.unlink(path, (e) => cb(e, undefined))),
};

/** Writes all of `len` bytes (write(2) may write fewer). */
export async function writeFully(io: JournalIo, fd: number, buf: Uint8Array, off: number, len: number, pos: number): Promise<void> {
  while (len > 0) {
    const n = await io.write(fd, buf, off, len, pos);
    if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    off += n;
    pos += n;
    len -= n;
  }
}

/** writeFully on the calling thread. */
export function writeFullySync(io: JournalIo, fd: number, buf: Uint8Array, off: number, len: number, pos: number): void {
  while (len > 0) {
    const n = io.writeSync(fd, buf, off, len, pos);
    if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    off += n;
    pos += n;
    len -= n;
  }
}

/**
 * File systems whose fdatasync is a network round trip (f_type of statfs(2)): NFS (EFS), SMB/CIFS,
 * FUSE, 9p, Ceph, AFS, GlusterFS via FUSE. The group commit does not wait for those in the event loop.
 */
const NETWORK_FILE_SYSTEMS = new Set([0x6969, 0x517b, 0xff534d42, 0xfe534d42, 0x65735546, 0x01021997, 0x00c36400, 0x5346414f, 0x6b414653]);

/** Whether `dir` is on a network file system (false if that cannot be told). */
export async function onNetworkFileSystem(dir: string): Promise<boolean> {
  try {
    return NETWORK_FILE_SYSTEMS.has((await fs.promises.statfs(dir)).type);
  } catch {
    return false;
  }
}

/** Reads up to `len` bytes, fewer only at end of file. */
export async function readFully(io: JournalIo, fd: number, buf: Uint8Array, off: number, len: number, pos: number): Promise<number> {
  let total = 0;
  while (total < len) {
    const n = await io.read(fd, buf, off + total, len - total, pos + total);
    if (n === 0) break;
    total += n;
  }
  return total;
}

/** Makes a directory's entries (created, renamed, removed files) durable. */
export async function fsyncDir(io: JournalIo, dir: string): Promise<void> {
  const fd = await io.open(dir, 'r');
  try {
    await io.fsync(fd);
  } finally {
    await io.close(fd);
  }
}
