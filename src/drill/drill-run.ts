import { performance } from 'node:perf_hooks';
import type { DrillConsumer, DrillProducer, DrillProtocolClient, EndpointEvents, HostPort } from './drill-protocol.js';
import { Ledger, type MessageCounts } from './ledger.js';
import { fetchRole, serves, sleep, type FailoverMode, type Pair, type PairNode, type Roles } from './pair.js';

export interface DrillSettings {
  mode: FailoverMode;
  /** Messages per second, all producers together. */
  rateMsgPerS: number;
  /** Producers and consumers per protocol. */
  producers: number;
  consumers: number;
  prefetch: number;
  /** Unacknowledged sends a producer may have before it skips a beat. */
  maxInFlight: number;
  /** Load before the failover. */
  warmupMs: number;
  /** Load after every client is back. */
  afterMs: number;
  /** After the producers stop, how long to wait for acknowledged messages still to arrive. */
  drainMs: number;
  /** How long the standby may take to serve, and the clients to come back. */
  takeoverTimeoutMs: number;
  /** Fail on duplicates and reordering too, not only on loss. */
  strict: boolean;
  /** A progress line at least this often during a run. */
  progressMs: number;
}

export const DEFAULT_DRILL_SETTINGS: DrillSettings = {
  mode: 'hard', rateMsgPerS: 200, producers: 2, consumers: 2, prefetch: 100, maxInFlight: 100,
  warmupMs: 2000, afterMs: 1000, drainMs: 10_000, takeoverTimeoutMs: 30_000, strict: false, progressMs: 5000,
};

/** One client's view of the failover; times in ms after the trigger. */
export interface ClientResult {
  name: string;
  protocol: string;
  kind: 'producer' | 'consumer';
  disconnectedMs: number | undefined;
  reconnectedMs: number | undefined;
  /** Producers: the first acknowledged send issued after reconnecting. */
  firstAckMs: number | undefined;
  /** Why its connection ended, as the client saw it. */
  disconnectReason: string | undefined;
}

export interface DrillResult {
  run: number;
  mode: FailoverMode;
  verdict: 'PASS' | 'FAIL';
  failures: string[];
  from: { node: string; epoch: number };
  to: { node: string; epoch: number | undefined };
  /** Trigger → the standby's /api/role says active. */
  roleActiveMs: number | undefined;
  /** Trigger → the standby is active and every protocol's port completes a handshake: it serves. */
  takeoverMs: number | undefined;
  /** Trigger → the first acknowledged send of any producer after reconnecting. */
  firstAckMs: number | undefined;
  clients: ClientResult[];
  messages: MessageCounts;
  /** Up to 20 lost messages, `producer#seq`. */
  lostSample: string[];
  durationMs: number;
}

/** Milliseconds to a tenth: the clocks are not finer than that in any way that matters here. */
const tenth = (v: number | undefined): number | undefined => (v === undefined ? undefined : Math.round(v * 10) / 10);

/** Connection history of one endpoint, on the performance.now() clock. */
class Endpoint implements EndpointEvents {
  readonly history: Array<{ at: number; connected: boolean; detail: string }> = [];
  firstAckAt: number | undefined;
  constructor(readonly name: string, readonly protocol: string, readonly kind: 'producer' | 'consumer') {}

  connected(address: HostPort): void {
    this.history.push({ at: performance.now(), connected: true, detail: `${address.host}:${address.port}` });
  }

  disconnected(reason: string): void {
    this.history.push({ at: performance.now(), connected: false, detail: reason });
  }

  get isConnected(): boolean {
    return this.history.at(-1)?.connected === true;
  }

  /** When it came back after losing its connection at or after `since`. */
  reconnectedAt(since: number): number | undefined {
    const lost = this.history.findIndex((e) => !e.connected && e.at >= since);
    return lost < 0 ? undefined : this.history.slice(lost).find((e) => e.connected)?.at;
  }

  result(t0: number): ClientResult {
    const lost = this.history.find((e) => !e.connected && e.at >= t0);
    const back = this.reconnectedAt(t0);
    return {
      name: this.name, protocol: this.protocol, kind: this.kind,
      disconnectedMs: tenth(lost && lost.at - t0),
      reconnectedMs: tenth(back === undefined ? undefined : back - t0),
      firstAckMs: tenth(this.firstAckAt === undefined ? undefined : this.firstAckAt - t0),
      disconnectReason: lost?.detail,
    };
  }
}

interface Producer {
  endpoint: Endpoint;
  client: DrillProducer;
  nextSeq: number;
  slots: number;
}

/** Polls the standby until its role is active and it serves; times relative to t0. */
async function watchTakeover(node: PairNode, clients: readonly DrillProtocolClient[], t0: number, timeoutMs: number) {
  let roleActiveMs: number | undefined;
  let epoch: number | undefined;
  while (performance.now() - t0 < timeoutMs) {
    if (roleActiveMs === undefined) {
      const answer = await fetchRole(node, 250);
      if (answer?.role === 'active') {
        roleActiveMs = performance.now() - t0;
        epoch = answer.epoch;
      }
    }
    if (roleActiveMs !== undefined && (await serves(node, clients, 250))) {
      return { roleActiveMs, takeoverMs: performance.now() - t0, epoch };
    }
    await sleep(10);
  }
  return { roleActiveMs, takeoverMs: undefined, epoch };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

/**
 * One failover drill on a pair whose roles are settled: consumers and producers on every protocol
 * on one fresh queue, load for `warmupMs`, the failover, load until every client is back plus
 * `afterMs`, then a drain; the ledger gives the verdict.
 */
export async function runDrill(
  pair: Pair, roles: Roles, clients: readonly DrillProtocolClient[], s: DrillSettings, run: number, progress: (line: string) => void,
): Promise<DrillResult> {
  const started = performance.now();
  const queue = `wharf.drill.${Date.now().toString(36)}.${run}`;
  const ledger = new Ledger();
  const endpoints: Endpoint[] = [];
  const producers: Producer[] = [];
  const consumers: DrillConsumer[] = [];
  // Active first: connecting is quicker; after a loss each client goes around the list.
  const addressesOf = (protocol: string): HostPort[] => [roles.active, roles.standby].map((n) => n.addresses[protocol]!);

  for (const c of clients) {
    const addresses = addressesOf(c.protocol);
    for (let i = 0; i < s.consumers; i++) {
      const endpoint = new Endpoint(`${c.protocol}-c${i}`, c.protocol, 'consumer');
      endpoints.push(endpoint);
      consumers.push(c.consumer({ name: endpoint.name, addresses, queue, events: endpoint, prefetch: s.prefetch }, (d) => ledger.recordDelivery(endpoint.name, d)));
    }
    for (let i = 0; i < s.producers; i++) {
      const endpoint = new Endpoint(`${c.protocol}-p${i}`, c.protocol, 'producer');
      endpoints.push(endpoint);
      producers.push({ endpoint, client: c.producer({ name: endpoint.name, addresses, queue, events: endpoint }), nextSeq: 0, slots: 0 });
    }
  }

  let t0: number | undefined;
  const settling = new Set<Promise<void>>();
  const sendOne = (p: Producer): void => {
    const m = { producer: p.endpoint.name, seq: p.nextSeq };
    const sentAt = performance.now();
    const acknowledged = p.client.send(m);
    if (!acknowledged) return;
    p.nextSeq++;
    ledger.recordSent(m);
    const settled = acknowledged.then((ok) => {
      if (!ok) return;
      ledger.recordAcknowledged(m);
      const back = t0 === undefined ? undefined : p.endpoint.reconnectedAt(t0);
      if (back !== undefined && sentAt >= back) p.endpoint.firstAckAt ??= performance.now();
    });
    settling.add(settled);
    void settled.then(() => settling.delete(settled));
  };

  // Paced load: each producer owns rate/producers slots per second; a slot passes unused while its
  // producer is disconnected or has too much in flight (no burst of catching up after a reconnect).
  const perProducerMsgPerS = s.rateMsgPerS / Math.max(1, producers.length);
  let loadStart = 0;
  const pace = (): void => {
    const due = Math.floor(((performance.now() - loadStart) / 1000) * perProducerMsgPerS);
    for (const p of producers) {
      while (p.slots < due) {
        p.slots++;
        if (p.client.connected && p.client.inFlight < s.maxInFlight) sendOne(p);
      }
    }
  };
  let phase = 'connecting';
  let lastProgress = performance.now();
  const progressTimer = setInterval(() => {
    if (performance.now() - lastProgress < s.progressMs) return;
    const m = ledger.counts();
    progress(`run ${run}: ${phase}; ${((performance.now() - started) / 1000).toFixed(1)} s: sent ${m.sent}, acknowledged ${m.acknowledged}, received ${m.received}`);
    lastProgress = performance.now();
  }, 250);

  const failures: string[] = [];
  let takeover: Awaited<ReturnType<typeof watchTakeover>> = { roleActiveMs: undefined, takeoverMs: undefined, epoch: undefined };
  let loadTimer: NodeJS.Timeout | undefined;
  try {
    if (!(await until(() => endpoints.every((e) => e.isConnected), 10_000))) {
      throw new Error(`clients could not connect to node ${roles.active.name}: ${endpoints.filter((e) => !e.isConnected).map((e) => e.name).join(', ')}`);
    }
    phase = 'warming up';
    loadStart = performance.now();
    loadTimer = setInterval(pace, 5);
    await sleep(s.warmupMs);

    // A failover nobody asked for (the active lost its lease during the warm-up) spoils the measurement.
    const before = await fetchRole(roles.active);
    if (before?.role !== 'active' || before.epoch !== roles.epoch) {
      throw new Error(`node ${roles.active.name} is no longer active at epoch ${roles.epoch} ` +
        `(it says ${before ? `${before.role} at epoch ${before.epoch}` : 'nothing'}): an unplanned failover during the warm-up`);
    }
    phase = 'failing over';
    progress(`run ${run}: ${s.mode} failover of node ${roles.active.name} (epoch ${roles.epoch})`);
    t0 = performance.now();
    const [, watched] = await Promise.all([
      pair.trigger(roles.active, s.mode),
      watchTakeover(roles.standby, clients, t0, s.takeoverTimeoutMs),
    ]);
    takeover = watched;
    if (takeover.takeoverMs === undefined) {
      failures.push(`node ${roles.standby.name} did not serve within ${s.takeoverTimeoutMs} ms (role active: ${takeover.roleActiveMs === undefined ? 'no' : 'yes'})`);
    } else {
      phase = 'reconnecting';
      const back = await until(() => endpoints.every((e) => e.isConnected && e.reconnectedAt(t0!) !== undefined), s.takeoverTimeoutMs);
      const away = endpoints.filter((e) => !e.isConnected || e.reconnectedAt(t0!) === undefined).map((e) => e.name);
      if (!back) failures.push(`clients not back within ${s.takeoverTimeoutMs} ms: ${away.join(', ')}`);
      phase = 'load after the failover';
      await sleep(s.afterMs);
    }
  } finally {
    clearInterval(loadTimer);
    phase = 'draining';
    await Promise.race([Promise.all(settling), sleep(5000)]);
    if (await until(() => ledger.missingCount() === 0, s.drainMs)) await sleep(250); // late duplicates
    clearInterval(progressTimer);
    await Promise.all([...producers.map((p) => p.client.close()), ...consumers.map((c) => c.close())]);
  }

  const messages = ledger.counts();
  const clientResults = endpoints.map((e) => e.result(t0!));
  const firstAcks = clientResults.map((c) => c.firstAckMs).filter((v): v is number => v !== undefined);
  if (messages.lost > 0) failures.push(`${messages.lost} acknowledged message(s) lost`);
  if (takeover.takeoverMs !== undefined && firstAcks.length === 0) failures.push('no send was acknowledged after the failover');
  if (s.strict && messages.duplicated > 0) failures.push(`${messages.duplicated} duplicate deliveries (--strict)`);
  if (s.strict && messages.outOfOrder > 0) failures.push(`${messages.outOfOrder} deliveries out of order (--strict)`);
  return {
    run,
    mode: s.mode,
    verdict: failures.length === 0 ? 'PASS' : 'FAIL',
    failures,
    from: { node: roles.active.name, epoch: roles.epoch },
    to: { node: roles.standby.name, epoch: takeover.epoch },
    roleActiveMs: tenth(takeover.roleActiveMs),
    takeoverMs: tenth(takeover.takeoverMs),
    firstAckMs: firstAcks.length > 0 ? Math.min(...firstAcks) : undefined,
    clients: clientResults,
    messages,
    lostSample: ledger.missing().slice(0, 20),
    durationMs: Math.round(performance.now() - started),
  };
}
