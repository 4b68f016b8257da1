import type { DrillProtocolClient } from './drill-protocol.js';
import { waitForRoles, type FailoverMode, type Pair, type PairNode, type Roles } from './pair.js';

/**
 * A pair the drill does not own, reached by its admin URLs and client addresses. Hard failover is
 * POST /api/crash (the active dies as with SIGKILL), graceful is POST /api/handoff. Between runs
 * of a series the crashed node must come back by itself (e.g. a restart policy) as the standby.
 */
export class RemotePair implements Pair {
  readonly kind = 'remote';

  constructor(readonly nodes: readonly [PairNode, PairNode]) {}

  ready(clients: readonly DrillProtocolClient[], timeoutMs: number): Promise<Roles> {
    return waitForRoles(this.nodes, clients, timeoutMs);
  }

  async trigger(active: PairNode, mode: FailoverMode): Promise<void> {
    const path = mode === 'hard' ? '/api/crash' : '/api/handoff';
    try {
      const res = await fetch(`${active.adminUrl}${path}`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
      if (mode === 'graceful' && !res.ok) throw new Error(`POST ${path} answered ${res.status}`);
    } catch (e) {
      // A crashing broker may drop the request without an answer: that is the point.
      if (mode === 'graceful') throw e;
    }
  }

  async recover(_node: PairNode, clients: readonly DrillProtocolClient[], timeoutMs: number): Promise<Roles> {
    try {
      return await this.ready(clients, timeoutMs);
    } catch (e) {
      throw new Error(`${(e as Error).message}; a crashed broker must be restarted by its supervisor (compose: restart policy)`);
    }
  }

  async close(): Promise<void> {}
}
