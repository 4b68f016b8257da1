import type { StoreOp } from '../store/store.js';

/** More dequeues than this in one tick are committed in several commits. */
const MAX_BATCH_OPS = 4096;

/**
 * Consumed messages' dequeues, gathered into one store commit per tick instead of one each (a
 * consumer settles many deliveries at once, e.g. a burst of MQTT PUBACKs in one socket read).
 * Every dequeue's promise resolves with the commit that carries it. `flush()` must run before any
 * other commit, so the store still sees every op in the order the core issued it; only the
 * atomicity is coarser, which nobody can observe: each dequeue is acknowledged only once all of its
 * batch is durable.
 */
export class DequeueBatch {
  private ops: StoreOp[] = [];
  private done: Promise<void> | undefined;
  private settle: ((outcome: Promise<void>) => void) | undefined;

  constructor(private readonly commit: (ops: StoreOp[]) => Promise<void>) {}

  add(queue: string, id: string): Promise<void> {
    if (!this.done) {
      this.done = new Promise<void>((resolve) => (this.settle = resolve));
      queueMicrotask(() => this.flush());
    }
    const done = this.done;
    this.ops.push({ kind: 'dequeue', queue, id });
    if (this.ops.length >= MAX_BATCH_OPS) this.flush();
    return done;
  }

  /** Commits the dequeues gathered so far. */
  flush(): void {
    const settle = this.settle;
    if (!settle) return;
    const ops = this.ops;
    this.ops = [];
    this.done = undefined;
    this.settle = undefined;
    settle(this.commit(ops));
  }
}
