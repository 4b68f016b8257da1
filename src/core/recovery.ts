import type { RecoveredState } from '../store/store.js';
import { StoredMessage } from './queue-entry.js';

/** What a stored container's metadata says it is. */
export type ContainerMeta =
  | { kind: 'queue'; name: string }
  | { kind: 'topic'; name: string }
  | { kind: 'durable'; clientId: string; name: string; filter: string; selector?: string; noLocal: boolean };

export function encodeMeta(meta: ContainerMeta): Uint8Array {
  return Buffer.from(JSON.stringify(meta));
}

export function decodeMeta(data: Uint8Array): ContainerMeta {
  return JSON.parse(Buffer.from(data).toString('utf8')) as ContainerMeta;
}

export interface RecoveredContainer {
  key: string;
  meta: ContainerMeta;
  entries: Array<{ storeId: string; seq: number; deliveryCount: number; stored: StoredMessage }>;
}

/** Reads the store's state; a message referenced by several subscriptions is one StoredMessage. */
export function readRecoveredState(state: RecoveredState): { containers: RecoveredContainer[]; maxSeq: number; maxStoreId: number } {
  const messages = new Map<string, StoredMessage>();
  let maxSeq = 0;
  let maxStoreId = 0;
  const containers: RecoveredContainer[] = [];
  for (const [key, q] of state.queues) {
    const entries = q.entries.map((e) => {
      let stored = messages.get(e.id);
      if (!stored) messages.set(e.id, (stored = new StoredMessage(e.data)));
      if (e.seq > maxSeq) maxSeq = e.seq;
      const n = Number(e.id);
      if (Number.isFinite(n) && n > maxStoreId) maxStoreId = n;
      return { storeId: e.id, seq: e.seq, deliveryCount: e.deliveryCount, stored };
    });
    containers.push({ key, meta: decodeMeta(q.meta), entries });
  }
  return { containers, maxSeq, maxStoreId };
}
