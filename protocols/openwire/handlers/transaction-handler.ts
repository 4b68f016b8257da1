import { BrokerError } from '../../../src/spi/index.js';
import type { OpenWireConnection } from '../connection.js';
import type { DataArrayResponse, IntegerResponse, TransactionInfo } from '../codec/commands.js';
import { T, TX } from '../codec/type-codes.js';
import { JMS_EXCEPTION, OpenWireError, TRANSACTION_ROLLED_BACK } from '../errors.js';
import { transactionKey } from '../ids.js';
import type { TransactionState } from '../transaction-state.js';
import { RESPONDED, requireSession, type HandlerResult } from './handler.js';

/** The transaction of a key, begun on first use (a BEGIN for a known id is a replay: ignored). */
export function transactionFor(c: OpenWireConnection, key: string): TransactionState {
  let tx = c.transactions.get(key);
  if (!tx) {
    tx = { key, coreTx: requireSession(c).begin(), acks: [] };
    c.transactions.set(key, tx);
  }
  return tx;
}

/**
 * TransactionInfo: BEGIN, COMMIT (one or two phase), ROLLBACK; XA's END, PREPARE, RECOVER and
 * FORGET are answered as if the transaction were local (a prepared transaction is not yet durable).
 */
export function onTransactionInfo(c: OpenWireConnection, info: TransactionInfo): HandlerResult {
  requireSession(c);
  const key = transactionKey(info.transactionId);
  switch (info.type) {
    case TX.BEGIN:
      transactionFor(c, key);
      return;
    case TX.END:
    case TX.FORGET:
      return;
    case TX.PREPARE:
      if (!c.transactions.has(key)) throw new BrokerError('NO_SUCH_TRANSACTION', `transaction ${key} is unknown`);
      if (info.responseRequired) {
        const ok: IntegerResponse = { typeCode: T.INTEGER_RESPONSE, commandId: 0, responseRequired: false, correlationId: info.commandId, result: 0 };
        c.send(ok);
      }
      return RESPONDED;
    case TX.COMMIT_ONE_PHASE:
    case TX.COMMIT_TWO_PHASE:
      return commit(c, key);
    case TX.ROLLBACK:
      return rollback(c, key);
    case TX.RECOVER:
      if (info.responseRequired) {
        const none: DataArrayResponse = { typeCode: T.DATA_ARRAY_RESPONSE, commandId: 0, responseRequired: false, correlationId: info.commandId, data: [] };
        c.send(none);
      }
      return RESPONDED;
    default:
      throw new OpenWireError(JMS_EXCEPTION, `unknown transaction operation ${info.type}`);
  }
}

/** Settles the held acks inside the core transaction, then commits its sends and acks together. */
async function commit(c: OpenWireConnection, key: string): Promise<void> {
  const session = requireSession(c);
  const tx = c.transactions.get(key);
  if (!tx) throw new OpenWireError(JMS_EXCEPTION, `Transaction '${key}' has not been started.`);
  c.transactions.delete(key);
  if (tx.failed) {
    restoreAcks(tx);
    await session.rollback(tx.coreTx);
    throw new OpenWireError(TRANSACTION_ROLLED_BACK, `transaction rolled back: ${tx.failed.message}`);
  }
  for (const { consumer, seq } of tx.acks) {
    const r = consumer.records.get(seq);
    if (!r || r.txKey !== key) continue;
    consumer.records.delete(seq);
    // Unknown deliveries (their consumer closed meanwhile) are already back on their queue.
    session.settle(r.coreConsumer, r.deliveryId, 'accepted', { tx: tx.coreTx }).catch(() => undefined);
  }
  try {
    await session.commit(tx.coreTx);
  } catch (e) {
    // A failed commit leaves nothing of the transaction: to JMS, it was rolled back.
    throw new OpenWireError(TRANSACTION_ROLLED_BACK, `transaction rolled back: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Discards the transaction's sends and its acks: the acked messages stay dispatched to their
 * consumers, unacknowledged, because the JMS client redelivers them itself.
 */
async function rollback(c: OpenWireConnection, key: string): Promise<void> {
  const session = requireSession(c);
  const tx = c.transactions.get(key);
  if (!tx) return;
  c.transactions.delete(key);
  restoreAcks(tx);
  await session.rollback(tx.coreTx);
}

function restoreAcks(tx: TransactionState): void {
  const consumers = new Set(tx.acks.map((a) => a.consumer));
  for (const { consumer, seq } of tx.acks) {
    const r = consumer.records.get(seq);
    if (!r || r.txKey !== tx.key) continue;
    delete r.txKey;
    consumer.recount(r);
  }
  for (const consumer of consumers) consumer.syncCredit();
}
