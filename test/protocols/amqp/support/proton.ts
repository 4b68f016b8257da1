import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** Runs the Qpid Proton (Python) client script: an independent AMQP 1.0 implementation. */

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./proton_client.py', import.meta.url));
/** Debian's python3-qpid-proton installs into the system interpreter. */
const PYTHONS = ['/usr/bin/python3', 'python3'];

let python: string | undefined;

async function findPython(): Promise<string> {
  if (python) return python;
  for (const candidate of PYTHONS) {
    if (candidate.startsWith('/') && !existsSync(candidate)) continue;
    try {
      await run(candidate, ['-c', 'import proton']);
      python = candidate;
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error('Qpid Proton for Python is required: apt-get install -y python3-qpid-proton');
}

/** Runs a command of proton_client.py (asynchronously: the broker runs in this process). */
export async function proton<T = Record<string, unknown>>(command: string, args: Record<string, unknown>): Promise<T> {
  const interpreter = await findPython();
  try {
    const { stdout } = await run(interpreter, [SCRIPT, command, JSON.stringify(args)], { timeout: 30_000, encoding: 'utf8' });
    return JSON.parse(stdout) as T;
  } catch (e) {
    const out = (e as { stdout?: string }).stdout ?? '';
    throw new Error(`proton ${command} failed: ${out || String(e)}`);
  }
}

/** A typed value as proton_client.py views and builds them: [type, value]. */
export type Spec = [string, unknown];
