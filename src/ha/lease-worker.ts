import { parentPort, workerData } from 'node:worker_threads';
import { LeaseFiles } from './lease-files.js';
import { LEASE_SLOTS, monotonicMs, type LeaseWorkerData } from './lease-renewer.js';

/**
 * The lease renewal loop, on its own thread so that a busy or stalled main thread (a long GC, a
 * replay, a burst of load) does not let the lease lapse. It renews only while the main thread
 * shows signs of life (LEASE_SLOTS.mainBeat within stallLimitMs), so a wedged broker still loses
 * its lease. SIGKILL and SIGSTOP stop this thread with the process, as a takeover needs.
 */
const d = workerData as LeaseWorkerData;
const slots = new Float64Array(d.slots);
const files = new LeaseFiles(d.dataDir);
let beat = d.beat;

function renew(): void {
  const started = monotonicMs();
  if (started - slots[LEASE_SLOTS.mainBeat]! > d.stallLimitMs) return;
  // A renewal counts only if the lease still held when it began: after a pause past validity a
  // standby may be claiming right now, so this node must never extend it (see ha-node.ts, 3).
  if (started >= slots[LEASE_SLOTS.validUntil]!) {
    slots[LEASE_SLOTS.lost] = 1;
    return;
  }
  try {
    if (files.currentEpoch() > d.epoch) {
      slots[LEASE_SLOTS.lost] = 1;
      return;
    }
    files.writeLease({ epoch: d.epoch, owner: d.owner, beat: ++beat, leaseMs: d.leaseMs }, 'worker');
    slots[LEASE_SLOTS.beat] = beat;
    if (slots[LEASE_SLOTS.lost] !== 1) slots[LEASE_SLOTS.validUntil] = started + d.leaseMs - d.marginMs;
  } catch (err) {
    parentPort?.postMessage({ error: (err as Error).message });
  }
}

renew();
const timer = setInterval(renew, d.renewMs);
parentPort?.on('message', (m: { stop?: boolean }) => {
  if (m.stop) {
    clearInterval(timer);
    parentPort?.close();
  }
});
