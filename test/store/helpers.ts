import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { JournalStore, type JournalOptions } from '../../src/store/journal/index.js';

/** A fresh temp directory under os.tmpdir(). */
export function tempDir(prefix = 'wharf-journal-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): Promise<void> {
  return fs.rm(dir, { recursive: true, force: true });
}

/** Segment files of a journal directory, in order. */
export async function segmentFiles(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((n) => /^journal-\d+\.wal$/.test(n)).sort();
}

export async function dirBytes(dir: string): Promise<number> {
  let n = 0;
  for (const f of await segmentFiles(dir)) n += (await fs.stat(path.join(dir, f))).size;
  return n;
}

/** Log lines a test can look at: a pino-compatible logger that keeps what it is given. */
export function memoryLogger() {
  const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

export async function openJournal(options: JournalOptions) {
  const store = new JournalStore(options);
  const state = await store.open();
  return { store, state };
}
