import type { DrillProtocolClient, HostPort } from './drill-protocol.js';

export type FailoverMode = 'hard' | 'graceful';

/** One broker of the pair as the drill reaches it. */
export interface PairNode {
  /** `a` or `b`. */
  readonly name: string;
  /** e.g. `http://127.0.0.1:8162`. */
  readonly adminUrl: string;
  /** Client addresses by protocol, e.g. `addresses.stomp`. */
  readonly addresses: Readonly<Record<string, HostPort>>;
}

export interface Roles {
  active: PairNode;
  standby: PairNode;
  /** The epoch the active serves under. */
  epoch: number;
}

/** A pair the drill runs against: two local child processes (local-pair.ts) or two remote brokers (remote-pair.ts). */
export interface Pair {
  readonly kind: 'local' | 'remote';
  readonly nodes: readonly [PairNode, PairNode];
  /** Waits until one node is active and serves every protocol of `clients`, and the other is standby. */
  ready(clients: readonly DrillProtocolClient[], timeoutMs: number): Promise<Roles>;
  /** Fails over: hard (local SIGKILL, remote POST /api/crash) or graceful (local SIGTERM, remote POST /api/handoff). */
  trigger(active: PairNode, mode: FailoverMode): Promise<void>;
  /** Between runs: brings `node` back as a standby if the failover took it down (local: restarts it), then waits for the roles. */
  recover(node: PairNode, clients: readonly DrillProtocolClient[], timeoutMs: number): Promise<Roles>;
  /** Ends what the drill started (a local pair's processes; its directory too unless `keep`). */
  close(keep?: boolean): Promise<void>;
}

export interface RoleAnswer {
  role: string;
  epoch: number;
  pid: number;
}

/** GET /api/role; undefined when the admin endpoint does not answer (down, starting, unreachable). */
export async function fetchRole(node: PairNode, timeoutMs = 1000): Promise<RoleAnswer | undefined> {
  try {
    const res = await fetch(`${node.adminUrl}/api/role`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return undefined;
    return (await res.json()) as RoleAnswer;
  } catch {
    return undefined;
  }
}

/** True when `node` serves every protocol of `clients` (a full handshake each). */
export async function serves(node: PairNode, clients: readonly DrillProtocolClient[], timeoutMs = 1000): Promise<boolean> {
  for (const c of clients) {
    const address = node.addresses[c.protocol];
    if (!address || !(await c.probe(address, timeoutMs))) return false;
  }
  return true;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until one node is active and serves every protocol and the other is standby. `check` runs
 * on every poll (a local pair uses it to notice a child process that died).
 */
export async function waitForRoles(
  nodes: readonly [PairNode, PairNode], clients: readonly DrillProtocolClient[], timeoutMs: number, check: () => void = () => {},
): Promise<Roles> {
  const deadline = performance.now() + timeoutMs;
  let seen = 'no answer yet';
  for (;;) {
    check();
    const answers = await Promise.all(nodes.map((n) => fetchRole(n)));
    seen = nodes.map((n, i) => `${n.name}: ${answers[i] ? `${answers[i]!.role} (epoch ${answers[i]!.epoch})` : 'no answer'}`).join(', ');
    const activeAt = answers.findIndex((a) => a?.role === 'active');
    const standbyAt = answers.findIndex((a) => a?.role === 'standby');
    if (activeAt >= 0 && standbyAt >= 0 && (await serves(nodes[activeAt]!, clients))) {
      return { active: nodes[activeAt]!, standby: nodes[standbyAt]!, epoch: answers[activeAt]!.epoch };
    }
    if (performance.now() > deadline) throw new Error(`the pair did not settle into active + standby within ${timeoutMs} ms (${seen})`);
    await sleep(50);
  }
}
