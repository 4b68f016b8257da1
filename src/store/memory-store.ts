import type { RecoveredQueue, RecoveredState, Store, StoreHealth, StoreOp } from './store.js';

interface MemoryRef {
  seq: number;
  deliveryCount: number;
}

interface MemoryQueue {
  meta: Uint8Array;
  refs: Map<string, MemoryRef>;
}

/**
 * The in-memory store: the same semantics as the journal, nothing survives the process. A second
 * open() of the same instance returns what earlier commits left, which lets the shared store suite
 * check recovery against it too.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly messages = new Map<string, { data: Uint8Array; refs: number }>();
  private readonly kv = new Map<string, Map<string, Uint8Array>>();

  async open(): Promise<RecoveredState> {
    const queues = new Map<string, RecoveredQueue>();
    for (const [name, q] of this.queues) {
      const entries = [...q.refs].map(([id, ref]) => ({
        id,
        seq: ref.seq,
        deliveryCount: ref.deliveryCount,
        data: this.messages.get(id)!.data,
      }));
      entries.sort((a, b) => a.seq - b.seq);
      queues.set(name, { meta: q.meta, entries });
    }
    const kv = new Map([...this.kv].map(([space, m]) => [space, new Map(m)]));
    return { queues, kv };
  }

  async commit(ops: StoreOp[]): Promise<void> {
    for (const op of ops) this.apply(op);
  }

  health(): StoreHealth {
    return { ok: true, usedBytes: 0, full: false };
  }

  async close(): Promise<void> {}

  private apply(op: StoreOp): void {
    switch (op.kind) {
      case 'message':
        if (!this.messages.has(op.id)) this.messages.set(op.id, { data: op.data, refs: 0 });
        return;
      case 'enqueue': {
        const q = this.queues.get(op.queue);
        const msg = this.messages.get(op.id);
        if (!q || !msg || q.refs.has(op.id)) return;
        q.refs.set(op.id, { seq: op.seq, deliveryCount: 0 });
        msg.refs++;
        return;
      }
      case 'dequeue': {
        const q = this.queues.get(op.queue);
        if (q?.refs.delete(op.id)) this.release(op.id);
        return;
      }
      case 'delivery-count': {
        const ref = this.queues.get(op.queue)?.refs.get(op.id);
        if (ref) ref.deliveryCount = op.count;
        return;
      }
      case 'queue-put': {
        const q = this.queues.get(op.queue);
        if (q) q.meta = op.meta;
        else this.queues.set(op.queue, { meta: op.meta, refs: new Map() });
        return;
      }
      case 'queue-delete': {
        const q = this.queues.get(op.queue);
        if (!q) return;
        for (const id of q.refs.keys()) this.release(id);
        this.queues.delete(op.queue);
        return;
      }
      case 'kv-put': {
        let space = this.kv.get(op.space);
        if (!space) this.kv.set(op.space, (space = new Map()));
        space.set(op.key, op.value);
        return;
      }
      case 'kv-delete':
        this.kv.get(op.space)?.delete(op.key);
        return;
      default: {
        const never: never = op;
        throw new Error(`unknown store op ${JSON.stringify(never)}`);
      }
    }
  }

  private release(id: string): void {
    const msg = this.messages.get(id);
    if (msg && --msg.refs <= 0) this.messages.delete(id);
  }
}
