import type { OpenWireConnection } from '../connection.js';
import type { Message, ProducerAck, ProducerInfo } from '../codec/commands.js';
import { T } from '../codec/type-codes.js';
import { parentSessionKey, producerKey, transactionKey } from '../ids.js';
import { destinationAddresses, producerWindowSize, toOutgoing } from '../mapping.js';
import type { TransactionState } from '../transaction-state.js';
import { RESPONDED, requireSession, type HandlerResult, type InboundFrame } from './handler.js';
import { sessionEntry } from './session-handlers.js';
import { transactionFor } from './transaction-handler.js';

/** ProducerInfo: bookkeeping (its destination and window); a replay is a no-op. */
export function onProducerInfo(c: OpenWireConnection, info: ProducerInfo): void {
  requireSession(c);
  const key = producerKey(info.producerId);
  if (c.producers.has(key) || !info.producerId) return;
  c.producers.set(key, info);
  sessionEntry(c, parentSessionKey(info.producerId)).producers.add(key);
}

/**
 * A message (types 23–29): converted once into the core's message (keeping the producer's own
 * encoding for OpenWire consumers) and sent to each destination it names. A sync send is
 * answered once the core has it safe (durable if persistent); the commands after it do not wait.
 * A oneway send that fails reaches the client as a ConnectionError and dooms its transaction;
 * with a producer window it is acknowledged by a ProducerAck either way.
 */
export function onMessage(c: OpenWireConnection, m: Message, frame: InboundFrame): HandlerResult {
  const session = requireSession(c);
  const pKey = c.producerKeys.of(m.producerId);
  const producer = c.producers.get(pKey);
  const tx = m.transactionId ? transactionFor(c, transactionKey(m.transactionId)) : undefined;
  const windowed = !m.responseRequired && (producer?.windowSize ?? 0) > 0;
  const ackWindow = windowed
    ? (): void => {
        const ack: ProducerAck = { typeCode: T.PRODUCER_ACK, commandId: 0, responseRequired: false, producerId: m.producerId, size: producerWindowSize(m) };
        c.send(ack);
      }
    : undefined;
  // A non-transacted send replayed by the failover transport after a reconnect: done already.
  // Only for this connection's own producer ids, so that no client can mute another's.
  const audited = !tx && m.messageId !== null && m.producerId?.connectionId === c.connectionKey;
  if (audited && c.broker.audit.isDuplicate(pKey, m.messageId!.producerSequenceId)) {
    ackWindow?.();
    c.respond(m);
    return RESPONDED;
  }
  try {
    // The canonical encoding (loose, uncached v12) is kept with the message for OpenWire
    // consumers: a loose v12 frame is that already (the connection copied it out of the socket
    // buffer, so the decoded byte fields are views of it); anything else is re-encoded.
    let native: Uint8Array = frame.bytes;
    let fieldEnds = frame.fieldEnds;
    let message = m;
    if (!fieldEnds) {
      native = c.broker.canonical.encode(m).subarray(4);
      ({ message, fieldEnds } = c.broker.decodeNative(native));
    }
    const outgoing = toOutgoing(message, native, fieldEnds, c.broker.temps, c.broker.config);
    const addresses = destinationAddresses(m.destination ?? producer?.destination ?? null, c.broker.temps);
    const work = addresses.length === 1
      ? session.send(addresses[0]!, outgoing, tx?.coreTx)
      : Promise.all(addresses.map((a) => session.send(a, outgoing, tx?.coreTx))).then(() => undefined);
    const onFailure = ackWindow || tx ? (e: unknown): void => sendFailed(e, ackWindow, tx) : undefined;
    return c.respondWhen(m, work, ackWindow, onFailure);
  } catch (e) {
    sendFailed(e, ackWindow, tx);
    throw e;
  }
}

/** A failed send still gives its window back, and dooms its transaction. */
function sendFailed(e: unknown, ackWindow: (() => void) | undefined, tx: TransactionState | undefined): void {
  ackWindow?.();
  if (tx) tx.failed ??= e instanceof Error ? e : new Error(String(e));
}
