import type { BrokerError, TxId } from '../../src/spi/index.js';
import type { ConsumerState } from './consumer-state.js';

/**
 * A JMS transaction (local, or XA treated as local): the core transaction holding its sends,
 * and the acks held here until commit. Acks stay out of the core until then because a JMS
 * rollback must leave the acked messages with the consumer that has them (the client
 * redelivers them itself), not requeue them as the core's rollback would.
 */
export interface TransactionState {
  readonly key: string;
  readonly coreTx: TxId;
  readonly acks: Array<{ consumer: ConsumerState; seq: number }>;
  /** A oneway send of this transaction failed: commit must roll back (TransactionRolledBackException). */
  failed?: BrokerError | Error;
}
