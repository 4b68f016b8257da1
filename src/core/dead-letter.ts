import type { Address, CoreMessage } from '../spi/message.js';
import type { RemovalCause } from './queue.js';

/** The property ActiveMQ sets on a dead-lettered message to say why. */
export const DLQ_CAUSE_PROPERTY = 'dlqDeliveryFailureCause';

const CAUSE_TEXT: Record<RemovalCause, string> = {
  expired: 'message expired',
  rejected: 'message rejected by the consumer (poison ack)',
  'max-redeliveries': 'delivery count exceeded the maximum of redeliveries',
};

/**
 * The copy of a dead-lettered message that goes back (redrive, as SQS's or ActiveMQ's console
 * "retry"): to `to`, without the dead-letter marks; a fresh message to the queue it reaches.
 */
export function redriveCopy(m: CoreMessage, to: Address): CoreMessage {
  const properties = { ...m.properties };
  delete properties[DLQ_CAUSE_PROPERTY];
  const copy: CoreMessage = { ...m, address: to, properties };
  delete copy.originalDestination;
  return copy;
}

/** The copy of a message that goes to the dead-letter queue: same id, original destination kept. */
export function deadLetterCopy(m: CoreMessage, dlq: Address, cause: RemovalCause): CoreMessage {
  return {
    ...m,
    address: dlq,
    originalDestination: m.originalDestination ?? m.address,
    // An expired message must not expire again in the DLQ.
    expiration: 0,
    properties: { ...m.properties, [DLQ_CAUSE_PROPERTY]: CAUSE_TEXT[cause] },
  };
}
