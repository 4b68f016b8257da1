import { isBrokerError, type ErrorCode } from '../../src/spi/index.js';

/** An AMQP 1.0 error (spec 2.8.14): a condition symbol, a description, optional info. */
export interface AmqpError {
  condition: string;
  description: string;
  info?: Record<string, unknown>;
}

/** The AMQP error conditions this adapter uses (spec 2.8.15 - 2.8.18, 4.5.4). */
export const CONDITION = {
  internalError: 'amqp:internal-error',
  notFound: 'amqp:not-found',
  unauthorizedAccess: 'amqp:unauthorized-access',
  decodeError: 'amqp:decode-error',
  resourceLimitExceeded: 'amqp:resource-limit-exceeded',
  notAllowed: 'amqp:not-allowed',
  invalidField: 'amqp:invalid-field',
  notImplemented: 'amqp:not-implemented',
  resourceLocked: 'amqp:resource-locked',
  preconditionFailed: 'amqp:precondition-failed',
  resourceDeleted: 'amqp:resource-deleted',
  illegalState: 'amqp:illegal-state',
  connectionForced: 'amqp:connection:forced',
  framingError: 'amqp:connection:framing-error',
  messageSizeExceeded: 'amqp:link:message-size-exceeded',
  transferLimitExceeded: 'amqp:link:transfer-limit-exceeded',
  detachForced: 'amqp:link:detach-forced',
  unknownTransaction: 'amqp:transaction:unknown-id',
  transactionRollback: 'amqp:transaction:rollback',
} as const;

/** BrokerError codes as AMQP conditions: the one place core errors become AMQP errors. */
const CONDITION_OF: Record<ErrorCode, string> = {
  INVALID_ADDRESS: CONDITION.invalidField,
  INVALID_SELECTOR: CONDITION.invalidField,
  INVALID_MESSAGE: CONDITION.decodeError,
  MESSAGE_TOO_LARGE: CONDITION.messageSizeExceeded,
  CLIENT_ID_IN_USE: CONDITION.invalidField,
  CLIENT_ID_REQUIRED: CONDITION.preconditionFailed,
  NOT_AUTHORIZED: CONDITION.unauthorizedAccess,
  NO_SUCH_CONSUMER: CONDITION.notFound,
  NO_SUCH_DELIVERY: CONDITION.illegalState,
  NO_SUCH_TRANSACTION: CONDITION.unknownTransaction,
  NO_SUCH_SUBSCRIPTION: CONDITION.notFound,
  SUBSCRIPTION_IN_USE: CONDITION.resourceLocked,
  TEMP_DESTINATION_FOREIGN: CONDITION.unauthorizedAccess,
  TEMP_DESTINATION_GONE: CONDITION.resourceDeleted,
  RESOURCE_LIMIT: CONDITION.resourceLimitExceeded,
  STORE_FAILED: CONDITION.internalError,
  STORE_FULL: CONDITION.resourceLimitExceeded,
  SESSION_CLOSED: CONDITION.illegalState,
  SHUTDOWN: CONDITION.connectionForced,
  TAKEOVER: CONDITION.connectionForced,
  INTERNAL: CONDITION.internalError,
};

/**
 * Which field an `amqp:invalid-field` is about, in the error's info map, as Qpid JMS reads it
 * (e.g. `container-id` becomes InvalidClientIDException, `selector` InvalidSelectorException).
 */
const INVALID_FIELD_OF: Partial<Record<ErrorCode, string>> = {
  CLIENT_ID_IN_USE: 'container-id',
  INVALID_SELECTOR: 'selector',
  INVALID_ADDRESS: 'address',
};

/** Any failure as an AMQP error. Unexpected errors do not leak their text to the peer. */
export function amqpErrorOf(e: unknown): AmqpError {
  if (e instanceof AmqpProtocolError) return e.toAmqpError();
  if (isBrokerError(e)) {
    const field = INVALID_FIELD_OF[e.code];
    return {
      condition: CONDITION_OF[e.code],
      description: e.code === 'INTERNAL' ? 'internal error' : e.message,
      ...(field ? { info: { 'invalid-field': field } } : {}),
    };
  }
  return { condition: CONDITION.internalError, description: 'internal error' };
}

/** Whether a failure is the peer's doing (debug log) rather than ours (warn log). */
export function isUnexpected(e: unknown): boolean {
  if (e instanceof AmqpProtocolError) return false;
  return !isBrokerError(e) || e.code === 'INTERNAL' || e.code === 'STORE_FAILED';
}

/** A protocol violation found while reading: the peer gets this error (a close, a detach or an outcome). */
export class AmqpProtocolError extends Error {
  constructor(readonly condition: string, description: string) {
    super(description);
    this.name = 'AmqpProtocolError';
  }

  toAmqpError(): AmqpError {
    return { condition: this.condition, description: this.message };
  }
}
