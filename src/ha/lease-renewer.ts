import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

/** Slots of the Float64Array the main thread and the renewal thread share. */
export const LEASE_SLOTS = { validUntil: 0, mainBeat: 1, lost: 2, beat: 3 } as const;

/**
 * A monotonic clock in ms that both threads read the same. performance.now() is monotonic but
 * counts from each thread's own start, so each thread anchors it once to the process-wide hrtime;
 * after that a reading allocates nothing (it runs before every dispatch, through the HA fence).
 */
const THREAD_OFFSET_MS = Number(process.hrtime.bigint()) / 1e6 - performance.now();

export function monotonicMs(): number {
  return performance.now() + THREAD_OFFSET_MS;
}

export interface LeaseWorkerData {
  slots: SharedArrayBuffer;
  dataDir: string;
  epoch: number;
  owner: string;
  beat: number;
  leaseMs: number;
  renewMs: number;
  marginMs: number;
  /** The renewal thread stops renewing once the main thread was silent this long. */
  stallLimitMs: number;
}

/** The ESM entry of tsx's API, read from its package exports (require.resolve would give the CJS one). */
function tsxEsmApiPath(): string {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return join(dirname(manifest), pkg.exports['./esm/api']!.import.default);
}

/**
 * Starts lease-worker on its own thread: from dist/ the compiled file; from source (tests, tsx) a
 * small bootstrap that registers tsx in the thread first, since Node 20 applies no --import
 * loader to a worker's entry module.
 */
function startWorker(workerData: LeaseWorkerData): Worker {
  const compiled = new URL('./lease-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled, { workerData });
  const tsxApi = pathToFileURL(tsxEsmApiPath()).href;
  const source = new URL('./lease-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** The main thread's handle on the renewal thread of one epoch. */
export class LeaseRenewer {
  private readonly slots: Float64Array;
  private readonly worker: Worker;
  private readonly pulse: NodeJS.Timeout;

  private stopped = false;

  /** `validUntil`: the validity the main thread's own first renewal gave, until the thread takes over. */
  constructor(data: Omit<LeaseWorkerData, 'slots'>, validUntil: number, onError: (message: string) => void) {
    const shared = new SharedArrayBuffer(8 * 4);
    this.slots = new Float64Array(shared);
    this.slots[LEASE_SLOTS.mainBeat] = monotonicMs();
    this.slots[LEASE_SLOTS.beat] = data.beat;
    this.slots[LEASE_SLOTS.validUntil] = validUntil;
    this.worker = startWorker({ ...data, slots: shared });
    this.worker.on('message', (m: { error?: string }) => m.error && onError(m.error));
    this.worker.on('error', (e) => onError(e.message));
    this.worker.unref();
    // The main thread's sign of life for the renewal thread.
    this.pulse = setInterval(() => (this.slots[LEASE_SLOTS.mainBeat] = monotonicMs()), Math.max(10, data.renewMs / 2));
    this.pulse.unref();
  }

  get validUntil(): number {
    return this.stopped ? 0 : this.slots[LEASE_SLOTS.validUntil]!;
  }

  /** Main renewals may extend validity until the thread's first renewal. */
  extend(validUntil: number): void {
    if (!this.stopped && !this.lost) this.slots[LEASE_SLOTS.validUntil] = validUntil;
  }

  /** A newer epoch was claimed: this node is fenced off. */
  get lost(): boolean {
    return this.slots[LEASE_SLOTS.lost] === 1;
  }

  get beat(): number {
    return this.slots[LEASE_SLOTS.beat]!;
  }

  /** Stops renewing at once (validity ends too); the thread exits shortly after. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.pulse);
    this.slots[LEASE_SLOTS.validUntil] = 0;
    this.slots[LEASE_SLOTS.mainBeat] = Number.NEGATIVE_INFINITY;
    this.worker.postMessage({ stop: true });
  }
}
