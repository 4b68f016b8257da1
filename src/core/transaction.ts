import type { Address, CoreMessage } from '../spi/message.js';
import type { Outcome } from '../spi/core.js';
import type { QueueEntry } from './queue-entry.js';
import type { SeenId } from './duplicate-detector.js';
import type { Queue } from './queue.js';

/** A local transaction: sends and settlements held until commit, undone by rollback. */
export interface Transaction {
  readonly id: number;
  readonly sends: Array<{ to: Address; message: CoreMessage }>;
  readonly settlements: Array<{ queue: Queue; entry: QueueEntry; outcome: Outcome }>;
  /** Duplicate-detection ids its commit remembered (forgotten again if the commit fails). */
  readonly rememberedIds: Array<{ key: string; seen: SeenId }>;
}

export function newTransaction(id: number): Transaction {
  return { id, sends: [], settlements: [], rememberedIds: [] };
}
