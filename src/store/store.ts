/**
 * The protocol-neutral durable store. It knows nothing of protocols, routing or dispatch: it keeps
 * named containers of message references ("queues": anycast queues, durable subscriptions, and
 * topic addresses that hold no entries), message bodies stored once and referenced from any
 * number of containers, per-reference delivery counts, and a small keyed state space for
 * adapters (MQTT sessions, retained messages, wills).
 *
 * Every commit() is atomic and ordered: after its promise resolves every op in it is durable (a
 * `relaxed` commit: see CommitOptions), and after a crash recovery replays either all of a commit or
 * none of it, in commit order. A commit is durable at the latest when any later one is.
 */

export type StoreOp =
  /** A message body, stored once. Kept while at least one `enqueue` references it. */
  | { kind: 'message'; id: string; data: Uint8Array }
  /** Adds a reference to message `id` in `queue`, at position `seq` (core-wide increasing). */
  | { kind: 'enqueue'; queue: string; id: string; seq: number }
  /** Removes a reference (acknowledged, expired, moved). The message goes with its last reference. */
  | { kind: 'dequeue'; queue: string; id: string }
  /** Records how many failed delivery attempts a reference has had. */
  | { kind: 'delivery-count'; queue: string; id: string; count: number }
  /** Creates or replaces a container and its metadata (opaque to the store). */
  | { kind: 'queue-put'; queue: string; meta: Uint8Array }
  /** Deletes a container and every reference it holds. */
  | { kind: 'queue-delete'; queue: string }
  /** Keyed state for adapters, in a named space. */
  | { kind: 'kv-put'; space: string; key: string; value: Uint8Array }
  | { kind: 'kv-delete'; space: string; key: string };

export interface RecoveredEntry {
  id: string;
  seq: number;
  deliveryCount: number;
  data: Uint8Array;
}

export interface RecoveredQueue {
  meta: Uint8Array;
  /** In ascending seq order. */
  entries: RecoveredEntry[];
}

export interface RecoveredState {
  queues: Map<string, RecoveredQueue>;
  kv: Map<string, Map<string, Uint8Array>>;
}

export interface CommitOptions {
  /**
   * For a consumer's acknowledgement outside a transaction (dequeue ops only): resolve once
   * written, without waiting for or forcing an fsync; the commit becomes durable with the next
   * synced commit, or within `store.syncIntervalMs`. A machine crash (not a process crash) in
   * that window redelivers the message: at-least-once, never a loss. ActiveMQ's KahaDB does
   * the same for acknowledgements that need no response.
   */
  relaxed?: boolean;
}

export interface StoreHealth {
  ok: boolean;
  /** The sticky error, once the store has failed. */
  error?: string;
  /** Bytes used on disk (0 for the memory store). */
  usedBytes: number;
  /** True while producers of persistent messages must wait (size limit reached). */
  full: boolean;
}

export interface Store {
  readonly kind: 'memory' | 'journal';
  /** Opens the store and returns everything that was durable. Called once. */
  open(): Promise<RecoveredState>;
  /**
   * Makes `ops` durable, atomically. Rejects with a BrokerError (STORE_FAILED, STORE_FULL) — after
   * a write error every later commit rejects too (the error is sticky).
   */
  commit(ops: StoreOp[], options?: CommitOptions): Promise<void>;
  health(): StoreHealth;
  close(): Promise<void>;
}
