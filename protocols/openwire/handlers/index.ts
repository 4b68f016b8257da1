import type { OpenWireConnection } from '../connection.js';
import { T } from '../codec/type-codes.js';
import { onMessageAck } from './ack-handler.js';
import { onConnectionControl, onConnectionInfo, onFlush, onRemoveInfo, onShutdownInfo } from './connection-handlers.js';
import { onConsumerControl, onConsumerInfo, onMessagePull } from './consumer-handlers.js';
import { onDestinationInfo, onRemoveSubscriptionInfo } from './destination-handlers.js';
import type { HandlerResult, InboundFrame } from './handler.js';
import { onMessage, onProducerInfo } from './producer-handlers.js';
import { onSessionInfo } from './session-handlers.js';
import { onTransactionInfo } from './transaction-handler.js';

export { RESPONDED, type HandlerResult, type InboundFrame } from './handler.js';

/** Each handler takes its own command type (the table is indexed by type code, hence `any`). */
export type Handler = (c: OpenWireConnection, command: any, frame: InboundFrame) => HandlerResult;

/** One dispatcher: type code → handler, for client-to-broker commands; anything else is refused. */
export const HANDLERS: Partial<Record<number, Handler>> = {
  [T.CONNECTION_INFO]: onConnectionInfo,
  [T.SESSION_INFO]: onSessionInfo,
  [T.CONSUMER_INFO]: onConsumerInfo,
  [T.PRODUCER_INFO]: onProducerInfo,
  [T.TRANSACTION_INFO]: onTransactionInfo,
  [T.DESTINATION_INFO]: onDestinationInfo,
  [T.REMOVE_SUBSCRIPTION_INFO]: onRemoveSubscriptionInfo,
  [T.SHUTDOWN_INFO]: onShutdownInfo,
  [T.REMOVE_INFO]: onRemoveInfo,
  [T.FLUSH_COMMAND]: onFlush,
  [T.CONSUMER_CONTROL]: onConsumerControl,
  [T.CONNECTION_CONTROL]: onConnectionControl,
  [T.MESSAGE_PULL]: onMessagePull,
  [T.MESSAGE_ACK]: onMessageAck,
  [T.ACTIVEMQ_MESSAGE]: onMessage,
  [T.ACTIVEMQ_BYTES_MESSAGE]: onMessage,
  [T.ACTIVEMQ_MAP_MESSAGE]: onMessage,
  [T.ACTIVEMQ_OBJECT_MESSAGE]: onMessage,
  [T.ACTIVEMQ_STREAM_MESSAGE]: onMessage,
  [T.ACTIVEMQ_TEXT_MESSAGE]: onMessage,
  [T.ACTIVEMQ_BLOB_MESSAGE]: onMessage,
};
