import { readiness, type BrokerView } from './broker-view.js';

export interface Metric {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Array<{ labels?: Record<string, string>; value: number }>;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Prometheus text exposition format 0.0.4. */
export function renderPrometheus(metrics: readonly Metric[]): string {
  const lines: string[] = [];
  for (const m of metrics) {
    lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
    for (const s of m.samples) {
      const labels = Object.entries(s.labels ?? {}).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
      lines.push(`${m.name}${labels ? `{${labels}}` : ''} ${s.value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The broker's metrics: connections per protocol, sessions, memory, store, per-destination counts. */
export function brokerMetrics(view: BrokerView): Metric[] {
  const metrics: Metric[] = [
    { name: 'wharf_ready', help: 'Whether the broker is ready to serve (1) or not (0).', type: 'gauge', samples: [{ value: readiness(view).ready ? 1 : 0 }] },
    {
      name: 'wharf_connections', help: 'Open client connections by protocol.', type: 'gauge',
      samples: view.adapters.map((a) => ({ labels: { protocol: a.name }, value: a.connectionCount })),
    },
  ];
  if (view.store) {
    metrics.push({ name: 'wharf_store_used_bytes', help: 'Bytes the store uses on disk.', type: 'gauge', samples: [{ value: view.store.health().usedBytes }] });
    const counters = view.store.stats?.();
    if (counters) {
      const counter = (name: string, help: string, value: number): Metric => ({ name, help, type: 'counter', samples: [{ value }] });
      metrics.push(
        counter('wharf_store_commits_total', 'Store commits since start.', counters.commits),
        counter('wharf_store_syncs_total', 'fdatasync calls of the store since start.', counters.syncs),
        counter('wharf_store_bytes_written_total', 'Bytes the store wrote since start.', counters.bytesWritten),
      );
    }
  }
  if (!view.core) return metrics;
  const stats = view.core.stats();
  metrics.push(
    { name: 'wharf_sessions', help: 'Open core sessions.', type: 'gauge', samples: [{ value: stats.sessions }] },
    { name: 'wharf_memory_bytes', help: 'Message bytes held in memory.', type: 'gauge', samples: [{ value: stats.memoryBytes }] },
  );
  const perDestination = (name: string, help: string, type: Metric['type'], pick: (d: (typeof stats.destinations)[number]) => number): Metric => ({
    name, help, type,
    samples: stats.destinations.map((d) => ({ labels: { destination: d.name, routing: d.routing, kind: d.kind }, value: pick(d) })),
  });
  metrics.push(
    perDestination('wharf_destination_depth', 'Messages waiting in the destination.', 'gauge', (d) => d.depth),
    perDestination('wharf_destination_inflight', 'Messages delivered and not yet settled.', 'gauge', (d) => d.inflight),
    perDestination('wharf_destination_consumers', 'Consumers attached.', 'gauge', (d) => d.consumers),
    perDestination('wharf_destination_enqueued_total', 'Messages enqueued since start.', 'counter', (d) => d.enqueued),
    perDestination('wharf_destination_dequeued_total', 'Messages removed from the destination since start.', 'counter', (d) => d.dequeued),
  );
  return metrics;
}
