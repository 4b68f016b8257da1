import { writeFileSync } from 'node:fs';
import { parseDrillArgs, DrillUsageError } from './drill-args.js';
import { formatSeries } from './drill-report.js';
import { runDrillSeries } from './drill-series.js';
import { LocalPair, startLocalPair } from './local-pair.js';
import type { Pair } from './pair.js';
import { drillProtocolClients } from './protocol-clients.js';
import { RemotePair } from './remote-pair.js';

export interface DrillIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** How to run `wharf` for a local pair, up to the command. */
  wharf: readonly string[];
}

/** Exit codes: 0 the verdict is PASS, 1 FAIL (or the pair never settled), 2 usage. */
export async function drillCommand(args: readonly string[], io: DrillIo): Promise<number> {
  let parsed;
  try {
    parsed = parseDrillArgs(args, Object.keys(drillProtocolClients));
  } catch (e) {
    if (!(e instanceof DrillUsageError)) throw e;
    io.stderr(`wharf: ${e.message}; try "wharf help"\n`);
    return 2;
  }
  const protocols = parsed.remote?.protocols ?? Object.keys(drillProtocolClients);
  const clients = protocols.map((p) => drillProtocolClients[p]!);
  const progress = (line: string): void => io.stderr(`drill: ${line}\n`);

  let pair: Pair;
  if (parsed.remote) {
    pair = new RemotePair(parsed.remote.nodes);
  } else {
    progress('starting a local pair');
    try {
      pair = await startLocalPair({ wharf: io.wharf, protocols }, clients);
    } catch (e) {
      io.stderr(`wharf: cannot start a local pair: ${(e as Error).message}\n`);
      return 1;
    }
  }
  // Signals end the drill without leaving brokers behind.
  const interrupted = (signal: NodeJS.Signals): void => {
    io.stderr(`wharf: ${signal}: stopping the drill\n`);
    void pair.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  let keep = parsed.keep;
  try {
    const series = await runDrillSeries(pair, clients, parsed.settings, {
      repeat: parsed.repeat,
      settleTimeoutMs: 60_000,
      progress,
      onRun: (r) => progress(`run ${r.run}/${parsed.repeat} ${r.verdict}: takeover ${Math.round(r.takeoverMs ?? NaN)} ms, ` +
        `lost ${r.messages.lost}, duplicated ${r.messages.duplicated}${r.failures.length ? ` (${r.failures.join('; ')})` : ''}`),
    });
    io.stdout(formatSeries(series));
    if (parsed.json) writeFileSync(parsed.json, `${JSON.stringify(series, null, 2)}\n`);
    keep ||= series.summary.verdict === 'FAIL';
    if (keep && pair instanceof LocalPair) io.stdout(`data and logs of the local pair: ${pair.workDir}\n`);
    return series.summary.verdict === 'PASS' ? 0 : 1;
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await pair.close(keep);
  }
}
