import { isBrokerError, type ErrorCode } from '../../src/spi/index.js';
import type { WireThrowable } from './codec/commands.js';

/**
 * BrokerError codes → the Java exception classes an ActiveMQ client re-creates by name (it
 * throws javax.jms.* subclasses as they are). The one place where core errors become OpenWire's.
 */
const JAVA_CLASS: Record<ErrorCode, string> = {
  INVALID_ADDRESS: 'javax.jms.InvalidDestinationException',
  INVALID_SELECTOR: 'javax.jms.InvalidSelectorException',
  INVALID_MESSAGE: 'javax.jms.MessageFormatException',
  MESSAGE_TOO_LARGE: 'javax.jms.ResourceAllocationException',
  CLIENT_ID_IN_USE: 'javax.jms.InvalidClientIDException',
  CLIENT_ID_REQUIRED: 'javax.jms.JMSException',
  NOT_AUTHORIZED: 'javax.jms.JMSSecurityException',
  NO_SUCH_CONSUMER: 'javax.jms.IllegalStateException',
  NO_SUCH_DELIVERY: 'javax.jms.JMSException',
  NO_SUCH_TRANSACTION: 'javax.jms.TransactionRolledBackException',
  NO_SUCH_SUBSCRIPTION: 'javax.jms.InvalidDestinationException',
  SUBSCRIPTION_IN_USE: 'javax.jms.JMSException',
  TEMP_DESTINATION_FOREIGN: 'javax.jms.InvalidDestinationException',
  TEMP_DESTINATION_GONE: 'javax.jms.InvalidDestinationException',
  RESOURCE_LIMIT: 'javax.jms.ResourceAllocationException',
  STORE_FAILED: 'javax.jms.JMSException',
  STORE_FULL: 'javax.jms.ResourceAllocationException',
  SESSION_CLOSED: 'javax.jms.IllegalStateException',
  SHUTDOWN: 'javax.jms.JMSException',
  TAKEOVER: 'javax.jms.JMSException',
  INTERNAL: 'javax.jms.JMSException',
};

export const JMS_EXCEPTION = 'javax.jms.JMSException';
export const ILLEGAL_STATE = 'javax.jms.IllegalStateException';
export const TRANSACTION_ROLLED_BACK = 'javax.jms.TransactionRolledBackException';

/** An error a handler raises with an explicit Java class (protocol rules the core knows nothing of). */
export class OpenWireError extends Error {
  constructor(
    readonly javaClass: string,
    message: string,
  ) {
    super(message);
    this.name = 'OpenWireError';
  }
}

/** Any error → the throwable of an ExceptionResponse or ConnectionError (no stack: it is not Java's). */
export function toWireThrowable(e: unknown): WireThrowable {
  if (e instanceof OpenWireError) return { className: e.javaClass, message: e.message, stackTrace: [], cause: null };
  if (isBrokerError(e)) return { className: JAVA_CLASS[e.code], message: e.message, stackTrace: [], cause: null };
  return { className: JMS_EXCEPTION, message: e instanceof Error ? e.message : String(e), stackTrace: [], cause: null };
}
