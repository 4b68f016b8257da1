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
