import type { Value } from './ast.js';
import type { SelectorSubject } from './index.js';

export type Evaluator = (subject: SelectorSubject) => Value;

/** JMS header and JMSX names, read from the neutral message fields (case-sensitive). */
const HEADERS: ReadonlyMap<string, Evaluator> = new Map<string, Evaluator>([
  ['JMSDeliveryMode', (s) => (s.message.persistent ? 'PERSISTENT' : 'NON_PERSISTENT')],
  ['JMSPriority', (s) => s.message.priority],
  ['JMSMessageID', (s) => s.message.messageId],
  ['JMSTimestamp', (s) => s.message.timestamp],
  ['JMSCorrelationID', (s) => s.message.correlationId ?? null],
  ['JMSType', (s) => s.message.type ?? null],
  ['JMSExpiration', (s) => s.message.expiration],
  ['JMSRedelivered', (s) => s.deliveryCount > 1],
  ['JMSDestination', (s) => s.message.address.name],
  ['JMSXGroupID', (s) => s.message.groupId ?? null],
  ['JMSXGroupSeq', (s) => s.message.groupSeq ?? null],
  ['JMSXDeliveryCount', (s) => s.deliveryCount],
  ['JMSXUserID', (s) => s.message.userId ?? null],
]);

/** Resolves a name once, at compile time, to the function that reads it from a message. */
export function identifierEvaluator(name: string): Evaluator {
  const header = HEADERS.get(name);
  if (header) return header;
  return (s) => {
    const value = s.message.properties[name];
    // Bytes, missing names and anything inherited from Object.prototype read as NULL.
    switch (typeof value) {
      case 'string':
      case 'number':
      case 'boolean':
      case 'bigint':
        return value;
      default:
        return null;
    }
  };
}
