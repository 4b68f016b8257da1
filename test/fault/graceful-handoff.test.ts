import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DRILL_SETTINGS, type DrillSettings } from '../../src/drill/drill-run.js';
import { runDrillSeries } from '../../src/drill/drill-series.js';
import type { LocalPair } from '../../src/drill/local-pair.js';
import { fetchRole } from '../../src/drill/pair.js';
import { RemotePair } from '../../src/drill/remote-pair.js';
import { closePair, CLIENTS, startPair } from './fault-pair.js';

/** A lease long enough that a takeover well under it can only come from the handoff. */
const LEASE_MS = 4000;
const SETTINGS: DrillSettings = { ...DEFAULT_DRILL_SETTINGS, mode: 'graceful', warmupMs: 800, afterMs: 400 };

let pair: LocalPair | undefined;
afterEach(async (ctx) => {
  await closePair(pair, ctx.task.result?.state === 'fail');
  pair = undefined;
});

describe('graceful handoff', () => {
  it('SIGTERM on the active: the standby serves far sooner than the lease, nothing acknowledged is lost, the old active exits 0', async () => {
    pair = await startPair({ WHARF_HA_LEASE_MS: String(LEASE_MS) });
    const lines: string[] = [];
    const series = await runDrillSeries(pair, CLIENTS, SETTINGS, { repeat: 2, settleTimeoutMs: 30_000, progress: (l) => lines.push(l) });
    expect(series.aborted, lines.join('\n')).toBeUndefined();
    for (const r of series.runs) {
      expect(r.failures, `run ${r.run}`).toEqual([]);
      expect(r.messages.lost).toBe(0);
      expect(r.takeoverMs!).toBeLessThan(LEASE_MS / 4);
      expect(r.to.epoch).toBe(r.from.epoch + 1);
    }
    // The second run failed over the other way, so the first run's SIGTERMed node came back; the
    // second run's one exited cleanly.
    const last = series.runs[1]!;
    expect(pair.exitOf(pair.node(last.from.node))).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('POST /api/handoff (the remote drill\'s graceful mode): the old active stays up as the standby', async () => {
    pair = await startPair({ WHARF_HA_LEASE_MS: String(LEASE_MS) });
    const remote = new RemotePair(pair.nodes);
    const lines: string[] = [];
    const series = await runDrillSeries(remote, CLIENTS, SETTINGS, { repeat: 2, settleTimeoutMs: 30_000, progress: (l) => lines.push(l) });
    expect(series.aborted, lines.join('\n')).toBeUndefined();
    for (const r of series.runs) {
      expect(r.failures, `run ${r.run}`).toEqual([]);
      expect(r.messages.lost).toBe(0);
      expect(r.takeoverMs!).toBeLessThan(LEASE_MS / 4);
    }
    // Back and forth, no restarts: both processes still run, with the roles as they started.
    expect(series.runs.map((r) => r.from.node)).toEqual([series.runs[0]!.from.node, series.runs[0]!.to.node]);
    for (const n of pair.nodes) expect(pair.isRunning(n)).toBe(true);
    expect((await fetchRole(pair.node(series.runs[0]!.from.node)))?.role).toBe('active');
  }, 60_000);

  it('POST /api/crash (the remote drill\'s hard mode) kills the active as SIGKILL does', async () => {
    pair = await startPair();
    const remote = new RemotePair(pair.nodes);
    const series = await runDrillSeries(remote, CLIENTS, { ...SETTINGS, mode: 'hard' }, { repeat: 1, settleTimeoutMs: 30_000, progress: () => {} });
    const r = series.runs[0]!;
    expect(r.failures).toEqual([]);
    expect(r.messages.lost).toBe(0);
    expect(pair.exitOf(pair.node(r.from.node))).toEqual({ code: null, signal: 'SIGKILL' });
  }, 60_000);
});
