import { join } from 'node:path';
import { LocalPair, startLocalPair } from '../../src/drill/local-pair.js';
import { fetchRole, sleep, type PairNode } from '../../src/drill/pair.js';
import { stompClient } from '../../src/drill/stomp/stomp-client.js';
import { StompSession } from '../../src/drill/stomp/stomp-session.js';
import type { StompFrame } from '../../src/drill/stomp/stomp-frame.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLIENTS = [stompClient];

/** How the fault tests run `wharf`: from source, as a real child process. */
export const WHARF_FROM_SOURCE = { wharf: [process.execPath, '--import', 'tsx', 'src/cli/main.ts'], cwd: ROOT, protocols: ['stomp', 'amqp'] };

/**
 * The lease the fault tests use: longer than the default 600 ms, because these tests check
 * behaviour, not timings (bench/ measures those with the defaults), and CI runs them on two busy
 * cores, where a starved process may miss a 600 ms lease and cause a failover nobody asked for.
 */
export const TEST_LEASE_MS = 1500;

/** A local pair of `wharf start` processes (not started yet); `env` e.g. `{ WHARF_HA_LEASE_MS: '3000' }`. */
export function createPair(env: Record<string, string> = {}): Promise<LocalPair> {
  return LocalPair.create({ ...WHARF_FROM_SOURCE, env: { WHARF_HA_LEASE_MS: String(TEST_LEASE_MS), ...env } });
}

/** Both nodes started at once, settled into active + standby. */
export function startPair(env: Record<string, string> = {}): Promise<LocalPair> {
  return startLocalPair({ ...WHARF_FROM_SOURCE, env: { WHARF_HA_LEASE_MS: String(TEST_LEASE_MS), ...env } }, CLIENTS);
}

/** Closes the pair; keeps its directory (data, logs) and says where when the test failed. */
export async function closePair(pair: LocalPair | undefined, failed: boolean): Promise<void> {
  if (!pair) return;
  await pair.close(failed);
  if (failed) console.error(`data and logs of the failed test's pair: ${pair.workDir}`);
}

/** Polls until `check` passes (returns its value) or throws with the last failure after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Waits for a node's /api/role to report `role`; returns the answer. */
export function roleBecomes(node: PairNode, role: string, timeoutMs = 15_000) {
  return eventually(async () => {
    const r = await fetchRole(node);
    return r?.role === role ? r : undefined;
  }, timeoutMs, `node ${node.name} ${role}`);
}

/** A STOMP connection that records every frame it gets (no reconnection). */
export class RecordingStomp {
  readonly frames: StompFrame[] = [];
  private constructor(readonly session: StompSession) {
    session.onFrame = (f) => this.frames.push(f);
  }

  static async open(node: PairNode): Promise<RecordingStomp> {
    return new RecordingStomp(await StompSession.open(node.addresses.stomp!, { connectTimeoutMs: 5000, heartbeatMs: 0 }));
  }

  of(command: string): StompFrame[] {
    return this.frames.filter((f) => f.command === command);
  }

  /** Sends persistent messages with receipts `<tag>-<i>`; does not wait. */
  send(queue: string, tag: string, count: number): void {
    for (let i = 0; i < count; i++) {
      this.session.write('SEND', { destination: `/queue/${queue}`, persistent: 'true', receipt: `${tag}-${i}`, tag: `${tag}-${i}` }, `${tag}-${i}`);
    }
  }

  /** Sends and waits for every receipt. */
  async sendAcknowledged(queue: string, tag: string, count: number): Promise<void> {
    this.send(queue, tag, count);
    await eventually(() => this.receipts(tag).length === count, 10_000, `${count} receipts for ${tag}`);
  }

  receipts(tag: string): string[] {
    return this.of('RECEIPT').map((f) => f.headers['receipt-id']!).filter((id) => id.startsWith(`${tag}-`));
  }

  /** Tags of the MESSAGE frames received. */
  messages(): string[] {
    return this.of('MESSAGE').map((f) => f.headers.tag!);
  }

  subscribe(queue: string, ack: 'auto' | 'client-individual' = 'auto'): void {
    this.session.write('SUBSCRIBE', { id: '0', destination: `/queue/${queue}`, ack });
  }

  /** Waits until no MESSAGE arrived for `quietMs`; returns the tags received. */
  async drain(quietMs = 500): Promise<string[]> {
    let count = -1;
    while (count !== this.of('MESSAGE').length) {
      count = this.of('MESSAGE').length;
      await sleep(quietMs);
    }
    return this.messages();
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

/** True when the node answers a STOMP CONNECT (its listener is open and it serves). */
export function stompServes(node: PairNode): Promise<boolean> {
  return stompClient.probe(node.addresses.stomp!, 1000);
}
