import { afterEach, describe, expect, it } from 'vitest';
import type { LocalPair } from '../../src/drill/local-pair.js';
import { sleep, type PairNode } from '../../src/drill/pair.js';
import { StompSession } from '../../src/drill/stomp/stomp-session.js';
import { closePair, createPair, eventually, stompServes } from './fault-pair.js';
import { seededRandom as prng } from '../helpers/seeded-random.js';

/**
 * One broker process (journal, HA lease: alone, it becomes active) under persistent STOMP load,
 * SIGKILLed at random moments and restarted on the same data directory. The ledger below follows
 * every message by its `mid` header across all the runs.
 */
const KILLS = 20;
const PRODUCERS = 3;
const CONSUMERS = 2;
const QUEUE = '/queue/crash.restart';
/** Sends a producer keeps without a RECEIPT. */
const WINDOW = 20;

class Ledger {
  readonly sent = new Set<string>();
  readonly receipted = new Set<string>();
  /** ACK sent (receipt or not): such a message may be gone after a crash. */
  readonly ackSent = new Set<string>();
  readonly ackConfirmed = new Set<string>();
  readonly deliveries = new Map<string, number>();
  readonly resurrected: string[] = [];
  readonly errors: string[] = [];

  delivered(mid: string): void {
    if (this.ackConfirmed.has(mid)) this.resurrected.push(mid);
    this.deliveries.set(mid, (this.deliveries.get(mid) ?? 0) + 1);
  }

  /** Receipted messages that must still be queued: never acked. */
  mustRemain(): number {
    let n = 0;
    for (const mid of this.receipted) if (!this.ackSent.has(mid)) n++;
    return n;
  }

  /** Messages that may still be queued: sent, not confirmed as acked. */
  mayRemain(): number {
    let n = 0;
    for (const mid of this.sent) if (!this.ackConfirmed.has(mid)) n++;
    return n;
  }

  lost(): string[] {
    return [...this.receipted].filter((mid) => !this.deliveries.has(mid));
  }

  duplicated(): number {
    let n = 0;
    for (const [mid, count] of this.deliveries) if (count > 1 && !this.resurrected.includes(mid)) n++;
    return n;
  }
}

function open(node: PairNode): Promise<StompSession> {
  return StompSession.open(node.addresses.stomp!, { connectTimeoutMs: 5000, heartbeatMs: 0 });
}

/** Sends persistent messages with a receipt each, `WINDOW` in flight, until `stop()`; ends with the connection. */
async function produce(node: PairNode, ledger: Ledger, name: string, signal: { stopped: boolean }): Promise<void> {
  const session = await open(node);
  let seq = 0;
  let inFlight = 0;
  const pump = (): void => {
    while (!signal.stopped && session.isOpen && inFlight < WINDOW) {
      const mid = `${name}-${seq++}`;
      ledger.sent.add(mid);
      inFlight++;
      session.write('SEND', { destination: QUEUE, persistent: 'true', receipt: mid, mid }, mid);
    }
  };
  session.onFrame = (f) => {
    if (f.command === 'RECEIPT') {
      ledger.receipted.add(f.headers['receipt-id']!);
      inFlight--;
      pump();
    } else if (f.command === 'ERROR') ledger.errors.push(`${name}: ${f.headers.message}`);
  };
  pump();
  const poll = setInterval(() => signal.stopped && session.destroy('load phase over'), 20);
  await session.closed;
  clearInterval(poll);
}

/** Acks every message (client-individual, with a receipt) until the connection ends. */
async function consume(node: PairNode, ledger: Ledger, name: string): Promise<StompSession & { unconfirmed: number }> {
  const session = Object.assign(await open(node), { unconfirmed: 0 });
  let n = 0;
  session.onFrame = (f) => {
    if (f.command === 'MESSAGE') {
      const mid = f.headers.mid!;
      ledger.delivered(mid);
      ledger.ackSent.add(mid);
      session.unconfirmed++;
      session.write('ACK', { id: f.headers.ack!, receipt: `ack:${name}:${n++}:${mid}` });
    } else if (f.command === 'RECEIPT') {
      ledger.ackConfirmed.add(f.headers['receipt-id']!.split(':')[3]!);
      session.unconfirmed--;
    } else if (f.command === 'ERROR') ledger.errors.push(`${name}: ${f.headers.message}`);
  };
  session.write('SUBSCRIBE', { id: '0', destination: QUEUE, ack: 'client-individual' });
  return session;
}

async function queueDepth(node: PairNode): Promise<number> {
  const stats = (await (await fetch(`${node.adminUrl}/api/destinations`)).json()) as { destinations: Array<{ name: string; depth: number; inflight: number }> };
  const d = stats.destinations.find((x) => x.name === 'crash.restart' || `/queue/${x.name}` === QUEUE);
  return d ? d.depth + d.inflight : 0;
}

let pair: LocalPair | undefined;
afterEach(async (ctx) => {
  await closePair(pair, ctx.task.result?.state === 'fail');
  pair = undefined;
});

describe('SIGKILL and restart of one broker under persistent STOMP load', () => {
  it(`loses no receipted message and resurrects no confirmed ack over ${KILLS} kills`, async () => {
    const seed = Number(process.env.WHARF_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`crash-restart seed ${seed} (replay with WHARF_CRASH_SEED=${seed})`);
    const random = prng(seed);
    // Alone, the node takes over its own expired lease after a restart: keep the wait short.
    pair = await createPair({ WHARF_HA_LEASE_MS: '700', WHARF_LOG_LEVEL: 'warn' });
    const node = pair.nodes[0];
    const ledger = new Ledger();
    const start = async (): Promise<void> => {
      pair!.start(node);
      await eventually(() => stompServes(node), 30_000, 'broker serves STOMP');
    };
    const depthChecks: string[] = [];
    /** Before any consumer attaches: every receipted, never-acked message is queued again. */
    const checkDepth = async (when: string): Promise<void> => {
      const depth = await queueDepth(node);
      const [min, max] = [ledger.mustRemain(), ledger.mayRemain()];
      if (depth < min || depth > max) depthChecks.push(`${when}: depth ${depth} not in [${min}, ${max}]`);
    };

    await start();
    for (let kill = 1; kill <= KILLS; kill++) {
      const signal = { stopped: false };
      const consumers = await Promise.all(Array.from({ length: CONSUMERS }, (_, i) => consume(node, ledger, `c${i}`)));
      const producing = Array.from({ length: PRODUCERS }, (_, i) => produce(node, ledger, `k${kill}p${i}`, signal));
      await sleep(300 + Math.floor(random() * 1200));
      pair.signal(node, 'SIGKILL');
      signal.stopped = true;
      await Promise.all([...producing, ...consumers.map((c) => c.closed)]);
      await pair.whenExited(node);
      await start();
      await checkDepth(`after kill ${kill}`);
      expect(ledger.resurrected, `resurrected after kill ${kill}`).toEqual([]);
    }

    // Drain: consumers until every receipted message was delivered and no delivery is left unconfirmed.
    const consumers = await Promise.all(Array.from({ length: CONSUMERS }, (_, i) => consume(node, ledger, `drain${i}`)));
    await eventually(async () => (await queueDepth(node)) === 0 && consumers.every((c) => c.unconfirmed === 0), 30_000, 'queue drained');
    await Promise.all(consumers.map((c) => c.close()));
    // A last kill: confirmed acks stay confirmed; nothing comes back.
    pair.signal(node, 'SIGKILL');
    await pair.whenExited(node);
    await start();
    await checkDepth('after the final kill');
    const late = await consume(node, ledger, 'late');
    await sleep(500);
    await late.close();

    const lost = ledger.lost();
    const duplicated = ledger.duplicated();
    console.log(
      `crash-restart: ${KILLS + 1} kills, ${ledger.sent.size} sent, ${ledger.receipted.size} receipted, ` +
      `${ledger.ackConfirmed.size} acks confirmed; lost=${lost.length} duplicated=${duplicated} resurrected=${ledger.resurrected.length}` +
      (ledger.errors.length ? `; ERROR frames: ${ledger.errors.slice(0, 3).join(' | ')}` : ''),
    );
    expect(ledger.receipted.size).toBeGreaterThan(KILLS * 50);
    expect(lost.slice(0, 10), `seed ${seed}`).toEqual([]);
    expect(ledger.resurrected.slice(0, 10), `seed ${seed}`).toEqual([]);
    expect(depthChecks, `seed ${seed}`).toEqual([]);
    expect(ledger.errors).toEqual([]);
  }, 150_000);
});
