import type { Distribution } from './distribution.js';
import type { DrillResult } from './drill-run.js';
import type { DrillSeries } from './drill-series.js';

const ms = (v: number | undefined): string => (v === undefined ? '-' : `${Math.round(v)} ms`);

/** One run, a few lines: roles, timings, per-client reconnects, message counts, the verdict and why. */
export function formatRun(r: DrillResult): string {
  const m = r.messages;
  const lines = [
    `run ${r.run}: ${r.mode} failover, node ${r.from.node} (epoch ${r.from.epoch}) → node ${r.to.node} (epoch ${r.to.epoch ?? '-'})  ${r.verdict}`,
    `  takeover      ${ms(r.takeoverMs)} until node ${r.to.node} served (its role said active after ${ms(r.roleActiveMs)})`,
    `  first ack     ${ms(r.firstAckMs)} after the trigger (first acknowledged send after a reconnect)`,
    `  reconnected   ${r.clients.map((c) => `${c.name} ${ms(c.reconnectedMs)}`).join(', ')}`,
    `  messages      sent ${m.sent}, acknowledged ${m.acknowledged}, received ${m.received}; ` +
      `lost ${m.lost}, duplicated ${m.duplicated}, out of order ${m.outOfOrder}; in doubt ${m.inDoubt} (${m.inDoubtReceived} arrived anyway)`,
  ];
  for (const f of r.failures) lines.push(`  FAIL: ${f}`);
  if (r.lostSample.length > 0) lines.push(`  lost (first ${r.lostSample.length}): ${r.lostSample.join(' ')}`);
  return lines.join('\n');
}

function row(name: string, d: Distribution): string {
  const cell = (v: number | undefined): string => (v === undefined ? '-' : String(Math.round(v))).padStart(8);
  return `  ${name.padEnd(16)}${cell(d.min)}${cell(d.median)}${cell(d.p90)}${cell(d.max)}${String(d.count).padStart(8)}`;
}

/** The whole report: header, each run, the distribution over the series and the verdict. */
export function formatSeries(s: DrillSeries): string {
  const x = s.summary;
  const where = s.pair.nodes.map((n) => `${n.name}: ${n.adminUrl} ${Object.entries(n.addresses).map(([p, a]) => `${p} ${a}`).join(' ')}`).join('; ');
  const lines = [
    `Wharf failover drill: ${s.pair.kind} pair (${where})`,
    `mode ${s.settings.mode}, ${s.settings.rateMsgPerS} msg/s over ${s.protocols.join(', ')}, ` +
      `${s.settings.producers} producer(s) and ${s.settings.consumers} consumer(s) per protocol, ${x.runs} run(s)`,
    '',
    ...s.runs.map(formatRun),
    '',
    `  ${''.padEnd(16)}${['min', 'median', 'p90', 'max', 'count'].map((h) => h.padStart(8)).join('')}`,
    row('takeover_ms', x.takeoverMs),
    row('reconnect_ms', x.reconnectMs),
    row('first_ack_ms', x.firstAckMs),
    '',
    `lost ${x.lost}, duplicated ${x.duplicated}, out of order ${x.outOfOrder}` +
      (s.settings.strict ? ' (strict: duplicates and reordering fail)' : ' (duplicates and reordering are allowed: at-least-once)'),
  ];
  if (s.aborted) lines.push(`series stopped early: ${s.aborted}`);
  lines.push(`verdict: ${x.verdict} (${x.passed} of ${x.runs} run(s) passed)`);
  return `${lines.join('\n')}\n`;
}
