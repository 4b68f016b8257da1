import { distributionOf, type Distribution } from './distribution.js';
import { formatHostPort, type DrillProtocolClient } from './drill-protocol.js';
import { runDrill, type DrillResult, type DrillSettings } from './drill-run.js';
import type { Pair, PairNode } from './pair.js';

export interface DrillSummary {
  runs: number;
  passed: number;
  verdict: 'PASS' | 'FAIL';
  /** Trigger → the standby serves, per run. */
  takeoverMs: Distribution;
  /** Trigger → each client connected again, over every client of every run. */
  reconnectMs: Distribution;
  /** Trigger → the first acknowledged send after reconnecting, per run. */
  firstAckMs: Distribution;
  lost: number;
  duplicated: number;
  outOfOrder: number;
}

export interface DrillSeries {
  pair: { kind: 'local' | 'remote'; nodes: ReadonlyArray<{ name: string; adminUrl: string; addresses: Record<string, string> }> };
  protocols: string[];
  settings: DrillSettings;
  runs: DrillResult[];
  summary: DrillSummary;
  /** Set when the series stopped early (the pair did not settle). */
  aborted: string | undefined;
}

const defined = (values: ReadonlyArray<number | undefined>): number[] => values.filter((v): v is number => v !== undefined);

export function summarize(runs: readonly DrillResult[], aborted: string | undefined): DrillSummary {
  const passed = runs.filter((r) => r.verdict === 'PASS').length;
  const sum = (f: (r: DrillResult) => number): number => runs.reduce((acc, r) => acc + f(r), 0);
  return {
    runs: runs.length,
    passed,
    verdict: passed === runs.length && runs.length > 0 && aborted === undefined ? 'PASS' : 'FAIL',
    takeoverMs: distributionOf(defined(runs.map((r) => r.takeoverMs))),
    reconnectMs: distributionOf(defined(runs.flatMap((r) => r.clients.map((c) => c.reconnectedMs)))),
    firstAckMs: distributionOf(defined(runs.map((r) => r.firstAckMs))),
    lost: sum((r) => r.messages.lost),
    duplicated: sum((r) => r.messages.duplicated),
    outOfOrder: sum((r) => r.messages.outOfOrder),
  };
}

export interface SeriesOptions {
  repeat: number;
  /** How long the pair may take to settle before each run (startup, restart of the failed node). */
  settleTimeoutMs: number;
  progress: (line: string) => void;
  /** After each run, e.g. to print it at once. */
  onRun?: (r: DrillResult) => void;
}

/**
 * `repeat` drills in a row. Before each run after the first, the node that was failed over is
 * brought back as the standby (a local pair restarts it), so every run fails over the other way.
 */
export async function runDrillSeries(pair: Pair, clients: readonly DrillProtocolClient[], settings: DrillSettings, o: SeriesOptions): Promise<DrillSeries> {
  const runs: DrillResult[] = [];
  let aborted: string | undefined;
  let failed: PairNode | undefined;
  for (let run = 1; run <= o.repeat; run++) {
    try {
      const roles = failed ? await pair.recover(failed, clients, o.settleTimeoutMs) : await pair.ready(clients, o.settleTimeoutMs);
      failed = roles.active;
      const result = await runDrill(pair, roles, clients, settings, run, o.progress);
      runs.push(result);
      o.onRun?.(result);
    } catch (e) {
      aborted = `run ${run}: ${(e as Error).message}`;
      o.progress(`stopping the series: ${aborted}`);
      break;
    }
  }
  return {
    pair: {
      kind: pair.kind,
      nodes: pair.nodes.map((n) => ({
        name: n.name, adminUrl: n.adminUrl,
        addresses: Object.fromEntries(Object.entries(n.addresses).map(([p, a]) => [p, formatHostPort(a)])),
      })),
    },
    protocols: clients.map((c) => c.protocol),
    settings,
    runs,
    summary: summarize(runs, aborted),
    aborted,
  };
}
