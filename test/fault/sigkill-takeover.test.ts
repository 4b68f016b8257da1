import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DRILL_SETTINGS } from '../../src/drill/drill-run.js';
import { runDrillSeries } from '../../src/drill/drill-series.js';
import type { LocalPair } from '../../src/drill/local-pair.js';
import { closePair, CLIENTS, startPair } from './fault-pair.js';

let pair: LocalPair | undefined;
afterEach(async (ctx) => {
  await closePair(pair, ctx.task.result?.state === 'fail');
  pair = undefined;
});

describe('SIGKILL of the active under persistent STOMP load', () => {
  it('the standby takes over and no acknowledged message is lost, 10 drills in a row', async () => {
    pair = await startPair();
    const lines: string[] = [];
    const series = await runDrillSeries(pair, CLIENTS, { ...DEFAULT_DRILL_SETTINGS, mode: 'hard', warmupMs: 800, afterMs: 400 }, {
      repeat: 10, settleTimeoutMs: 30_000, progress: (l) => lines.push(l),
    });
    expect(series.aborted, lines.join('\n')).toBeUndefined();
    expect(series.runs).toHaveLength(10);
    for (const r of series.runs) {
      const what = `run ${r.run}: ${r.failures.join('; ')}`;
      expect(r.failures, what).toEqual([]);
      expect(r.messages.lost, what).toBe(0);
      // Load went through on both sides of the failover.
      expect(r.messages.acknowledged, what).toBeGreaterThan(100);
      expect(r.firstAckMs, what).toBeDefined();
      // Every run fails over to the other node, under the next epoch.
      expect(r.to.node).not.toBe(r.from.node);
      expect(r.to.epoch).toBe(r.from.epoch + 1);
      for (const c of r.clients) expect(c.reconnectedMs, `${what} ${c.name}`).toBeDefined();
    }
    // No takeover besides the drills' own: the restarted node always waits as the standby.
    expect(series.runs.map((r) => r.from.epoch), lines.join('\n')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(series.summary.verdict).toBe('PASS');
  }, 120_000);
});
