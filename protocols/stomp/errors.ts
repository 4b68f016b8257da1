import { isBrokerError, type ErrorCode } from '../../src/spi/index.js';
import { FrameDecodeError } from './codec/frame-decoder.js';
import type { InboundFrame } from './codec/frame.js';

/**
 * A protocol-level failure (bad frame, bad header, unknown id). Its message is the ERROR frame's
 * `message` header, worded as ActiveMQ words it where ActiveMQ has a message for the case.
 */
export class ProtocolError extends Error {
  constructor(
    message: string,
    /** Extra ERROR headers, e.g. `version` when no protocol version is shared. */
    readonly headers: ReadonlyArray<readonly [string, string]> = [],
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Short `message` header texts for core errors; the body carries the core's own detail. */
const CORE_ERROR_MESSAGES: Record<ErrorCode, string> = {
  INVALID_ADDRESS: 'Invalid destination',
  INVALID_SELECTOR: 'Invalid selector',
  INVALID_MESSAGE: 'Invalid message',
  MESSAGE_TOO_LARGE: 'Message too large',
  CLIENT_ID_IN_USE: 'Client ID already in use',
  CLIENT_ID_REQUIRED: 'A durable subscription needs a client-id',
  NOT_AUTHORIZED: 'Not authorized',
  NO_SUCH_CONSUMER: 'No such subscription',
  NO_SUCH_DELIVERY: 'Unknown or already acknowledged message',
  NO_SUCH_TRANSACTION: 'Invalid transaction id',
  NO_SUCH_SUBSCRIPTION: 'No such durable subscription',
  SUBSCRIPTION_IN_USE: 'Durable subscription in use',
  TEMP_DESTINATION_FOREIGN: 'Temporary destination belongs to another connection',
  TEMP_DESTINATION_GONE: 'Temporary destination deleted',
  RESOURCE_LIMIT: 'Resource limit reached',
  STORE_FAILED: 'Store failure',
  STORE_FULL: 'Store full',
  SESSION_CLOSED: 'Session closed',
  SHUTDOWN: 'Broker shutting down',
  TAKEOVER: 'Connection taken over',
  INTERNAL: 'Internal error',
};

const MAX_MESSAGE_CHARS = 256;

export interface ErrorFrameParts {
  headers: Array<[string, string]>;
  body: string;
  /** Unexpected failures are worth a warning; protocol misuse only a debug line. */
  unexpected: boolean;
}

/**
 * The one place where failures become ERROR frames: `message` (short), `content-type`, the
 * `receipt-id` of the frame that failed when it asked for a receipt (as ActiveMQ does), and a
 * plain-text body with the detail. Internal errors do not leak their text.
 */
export function errorFrameFor(error: unknown, frame?: InboundFrame): ErrorFrameParts {
  let message: string;
  let body: string;
  let extra: ReadonlyArray<readonly [string, string]> = [];
  let unexpected = false;
  if (error instanceof ProtocolError) {
    message = error.message;
    body = error.message;
    extra = error.headers;
  } else if (error instanceof FrameDecodeError) {
    message = `Malformed frame: ${error.message}`;
    body = `${error.message}\nat stream offset ${error.offset} (decoder state ${error.state}) near: ${error.snippet}`;
  } else if (isBrokerError(error)) {
    message = CORE_ERROR_MESSAGES[error.code];
    body = `${error.code}: ${error.message}`;
    unexpected = error.code === 'INTERNAL' || error.code === 'STORE_FAILED';
  } else {
    message = CORE_ERROR_MESSAGES.INTERNAL;
    body = 'The broker failed to process the frame.';
    unexpected = true;
  }
  const headers: Array<[string, string]> = [
    ['message', truncate(message)],
    ['content-type', 'text/plain'],
    ...extra.map(([k, v]): [string, string] => [k, v]),
  ];
  const receipt = frame?.headers.get('receipt');
  if (receipt !== undefined) headers.push(['receipt-id', receipt]);
  return { headers, body, unexpected };
}

function truncate(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS - 3)}...` : text;
}
