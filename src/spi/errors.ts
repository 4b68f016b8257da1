/**
 * The one error type that crosses layers. Each adapter maps `code` to its protocol's error
 * (STOMP ERROR frame, MQTT reason code, AMQP condition, OpenWire exception class) in one place.
 */
export const ERROR_CODES = {
  INVALID_ADDRESS: 'the destination name is not valid',
  INVALID_SELECTOR: 'the selector does not parse',
  INVALID_MESSAGE: 'the message is malformed',
  MESSAGE_TOO_LARGE: 'the message is larger than the configured maximum',
  CLIENT_ID_IN_USE: 'another connection holds this client id',
  CLIENT_ID_REQUIRED: 'a durable subscription needs a client id',
  NOT_AUTHORIZED: 'authentication failed or the principal may not do this',
  NO_SUCH_CONSUMER: 'the consumer does not exist',
  NO_SUCH_DELIVERY: 'the delivery is unknown or already settled',
  NO_SUCH_TRANSACTION: 'the transaction is unknown',
  NO_SUCH_SUBSCRIPTION: 'the durable subscription does not exist',
  SUBSCRIPTION_IN_USE: 'the durable subscription has an active consumer',
  TEMP_DESTINATION_FOREIGN: 'a temporary destination may only be consumed by its own connection',
  TEMP_DESTINATION_GONE: 'the temporary destination was deleted',
  RESOURCE_LIMIT: 'a configured limit was reached',
  STORE_FAILED: 'the store cannot make the message durable',
  STORE_FULL: 'the store size limit was reached',
  SESSION_CLOSED: 'the session is closed',
  SHUTDOWN: 'the broker is shutting down',
  TAKEOVER: 'another connection with the same client id took over',
  INTERNAL: 'an internal error',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class BrokerError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message?: string) {
    super(message ?? ERROR_CODES[code]);
    this.name = 'BrokerError';
    this.code = code;
  }
}

export function isBrokerError(e: unknown): e is BrokerError {
  return e instanceof BrokerError;
}

/** Wraps anything thrown into a BrokerError, keeping BrokerErrors as they are. */
export function toBrokerError(e: unknown): BrokerError {
  if (e instanceof BrokerError) return e;
  return new BrokerError('INTERNAL', e instanceof Error ? e.message : String(e));
}
