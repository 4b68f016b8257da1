import type { Outcome } from '../../../src/spi/index.js';
import type { OpenWireConnection } from '../connection.js';
import type { MessageAck } from '../codec/commands.js';
import { ACK } from '../codec/type-codes.js';
import type { ConsumerState, DispatchRecord } from '../consumer-state.js';
import { transactionKey } from '../ids.js';
import { requireSession } from './handler.js';
import { transactionFor } from './transaction-handler.js';

/**
 * MessageAck, by type (docs/openwire.md §8.6, §10.8). Messages are named by the broker sequence
 * id this broker gave them at dispatch; a range is every dispatched message of the consumer from
 * `firstMessageId` (or the oldest) through `lastMessageId`. Acks that match nothing are ignored
 * (normal after a failover).
 */
export function onMessageAck(c: OpenWireConnection, ack: MessageAck): void {
  requireSession(c);
  const consumer = c.consumers.get(c.consumerKeys.of(ack.consumerId));
  if (!consumer || consumer.closed || c.advisoryWatchers.has(consumer.key) || !ack.lastMessageId) return;
  const last = Number(ack.lastMessageId.brokerSequenceId);
  const first = ack.firstMessageId ? Number(ack.firstMessageId.brokerSequenceId) : undefined;
  const txKey = ack.transactionId ? transactionKey(ack.transactionId) : undefined;
  switch (ack.ackType) {
    case ACK.DELIVERED:
      // Reached the client, not consumed: extends the prefetch window.
      for (const [, r] of consumer.range(undefined, last)) consumer.uncount(r);
      break;
    case ACK.STANDARD:
    case ACK.UNMATCHED:
      settle(c, consumer, consumer.range(first, last), 'accepted', txKey);
      break;
    case ACK.INDIVIDUAL: {
      const r = consumer.records.get(last);
      if (r) settle(c, consumer, [[last, r]], 'accepted', txKey);
      break;
    }
    case ACK.POISON:
    case ACK.EXPIRED:
      // Past the client's redelivery policy, or expired: to the dead-letter queue.
      settle(c, consumer, consumer.range(first, last), 'rejected', undefined);
      break;
    case ACK.REDELIVERED:
      // The client is redelivering a rolled-back range itself: nothing changes here.
      break;
  }
  consumer.syncCredit();
}

function settle(
  c: OpenWireConnection, consumer: ConsumerState, entries: Array<[number, DispatchRecord]>, outcome: Outcome, txKey: string | undefined,
): void {
  if (txKey !== undefined) {
    const tx = transactionFor(c, txKey);
    for (const [seq, r] of entries) {
      if (r.txKey !== undefined) continue;
      r.txKey = txKey;
      consumer.uncount(r);
      tx.acks.push({ consumer, seq });
    }
    return;
  }
  const session = requireSession(c);
  for (const [seq, r] of entries) {
    if (r.txKey !== undefined) continue;
    consumer.forget(seq);
    session.settle(r.coreConsumer, r.deliveryId, outcome).catch((e: unknown) => c.logger.debug({ err: e }, 'settle failed'));
  }
}
