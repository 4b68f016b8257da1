import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DRILL_SETTINGS } from '../../src/drill/drill-run.js';
import { runDrillSeries } from '../../src/drill/drill-series.js';
import { startLocalPair } from '../../src/drill/local-pair.js';
import { stompClient } from '../../src/drill/stomp/stomp-client.js';
import type { WorkloadResult } from '../stats.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Issue 4's target, with default settings: median ≤ 1 s and max ≤ 2 s, for both figures. */
const TARGET = { medianMs: 1000, maxMs: 2000 };

/**
 * `takeover`: `drills` hard failover drills (`wharf drill` defaults: SIGKILL of the active under
 * 200 msg/s of persistent STOMP load) on a local pair of built brokers (`dist/`) with default HA
 * settings. Figures: SIGKILL → the standby accepts connections (active, STOMP handshake answered),
 * and SIGKILL → a client's first acknowledged send after reconnecting.
 */
export async function runTakeover(drills = 10): Promise<WorkloadResult> {
  const clients = [stompClient];
  const pair = await startLocalPair({ wharf: [process.execPath, join(root, 'dist/src/cli/main.js')], protocols: ['stomp'], env: { WHARF_LOG_LEVEL: 'warn' } }, clients);
  const started = performance.now();
  try {
    const series = await runDrillSeries(pair, clients, { ...DEFAULT_DRILL_SETTINGS, mode: 'hard' }, {
      repeat: drills,
      settleTimeoutMs: 30_000,
      progress: () => {},
      onRun: (r) => console.error(`takeover: drill ${r.run}/${drills} ${r.verdict}: accepting after ${r.takeoverMs} ms, first ack after ${r.firstAckMs} ms`),
    });
    const { takeoverMs, firstAckMs } = series.summary;
    const met = [takeoverMs, firstAckMs].every((d) => d.count === drills && d.median! <= TARGET.medianMs && d.max! <= TARGET.maxMs);
    return {
      workload: 'takeover',
      messages: series.runs.reduce((n, r) => n + r.messages.acknowledged, 0),
      seconds: (performance.now() - started) / 1000,
      figures: {
        drills: series.runs.length,
        accept_median_ms: takeoverMs.median ?? NaN,
        accept_max_ms: takeoverMs.max ?? NaN,
        first_ack_median_ms: firstAckMs.median ?? NaN,
        first_ack_max_ms: firstAckMs.max ?? NaN,
        lost: series.summary.lost,
        verdict: series.summary.verdict,
        target: met ? 'met' : 'missed',
      },
    };
  } finally {
    await pair.close();
  }
}
