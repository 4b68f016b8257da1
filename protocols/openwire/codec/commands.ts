import type { Long } from './long.js';
import type { T } from './type-codes.js';

/**
 * OpenWire data structures as decoded: plain objects, field names as in ActiveMQ's Java classes,
 * `typeCode` the wire type. Strings, byte arrays and nested structures are `null` when the wire
 * says null, so that re-encoding reproduces the bytes. Treat decoded objects as immutable: with
 * value caching one object may be shared by several commands.
 */
export interface DataStructure {
  readonly typeCode: number;
}

type Tc = typeof T;

export interface ConnectionId { typeCode: Tc['CONNECTION_ID']; value: string | null }
export interface SessionId { typeCode: Tc['SESSION_ID']; connectionId: string | null; value: Long }
export interface ConsumerId { typeCode: Tc['CONSUMER_ID']; connectionId: string | null; sessionId: Long; value: Long }
export interface ProducerId { typeCode: Tc['PRODUCER_ID']; connectionId: string | null; value: Long; sessionId: Long }
export interface BrokerId { typeCode: Tc['BROKER_ID']; value: string | null }
export interface MessageId {
  typeCode: Tc['MESSAGE_ID'];
  /** v10+. */
  textView: string | null;
  producerId: ProducerId | null;
  producerSequenceId: Long;
  brokerSequenceId: Long;
}
export interface LocalTransactionId { typeCode: Tc['LOCAL_TRANSACTION_ID']; value: Long; connectionId: ConnectionId | null }
export interface XATransactionId {
  typeCode: Tc['XA_TRANSACTION_ID'];
  formatId: number;
  globalTransactionId: Uint8Array | null;
  branchQualifier: Uint8Array | null;
}
export type TransactionId = LocalTransactionId | XATransactionId;

export type DestinationTypeCode = Tc['ACTIVEMQ_QUEUE'] | Tc['ACTIVEMQ_TOPIC'] | Tc['ACTIVEMQ_TEMP_QUEUE'] | Tc['ACTIVEMQ_TEMP_TOPIC'];
export interface Destination { typeCode: DestinationTypeCode; physicalName: string | null }

export interface StackTraceElement {
  declaringClass: string | null;
  methodName: string | null;
  fileName: string | null;
  lineNumber: number;
}

/**
 * A Java throwable as data, never as a class to instantiate (CVE-2023-46604): its class name
 * and message, plus stack and cause when StackTraceEnabled was negotiated.
 */
export interface WireThrowable {
  className: string | null;
  message: string | null;
  stackTrace?: StackTraceElement[];
  cause?: WireThrowable | null;
}

export interface BaseCommand extends DataStructure {
  commandId: number;
  responseRequired: boolean;
}

export interface WireFormatInfo extends DataStructure {
  typeCode: Tc['WIREFORMAT_INFO'];
  magic: Uint8Array;
  version: number;
  marshalledProperties: Uint8Array | null;
}

export interface BrokerInfo extends BaseCommand {
  typeCode: Tc['BROKER_INFO'];
  brokerId: BrokerId | null;
  brokerURL: string | null;
  peerBrokerInfos: BrokerInfo[] | null;
  brokerName: string | null;
  slaveBroker: boolean;
  masterBroker: boolean;
  faultTolerantConfiguration: boolean;
  duplexConnection: boolean;
  networkConnection: boolean;
  connectionId: Long;
  brokerUploadUrl: string | null;
  networkProperties: string | null;
}

export interface ConnectionInfo extends BaseCommand {
  typeCode: Tc['CONNECTION_INFO'];
  connectionId: ConnectionId | null;
  clientId: string | null;
  password: string | null;
  userName: string | null;
  brokerPath: BrokerId[] | null;
  brokerMasterConnector: boolean;
  manageable: boolean;
  clientMaster: boolean;
  faultTolerant: boolean;
  failoverReconnect: boolean;
  clientIp: string | null;
}

export interface SessionInfo extends BaseCommand { typeCode: Tc['SESSION_INFO']; sessionId: SessionId | null }

export interface ConsumerInfo extends BaseCommand {
  typeCode: Tc['CONSUMER_INFO'];
  consumerId: ConsumerId | null;
  browser: boolean;
  destination: Destination | null;
  prefetchSize: number;
  maximumPendingMessageLimit: number;
  dispatchAsync: boolean;
  selector: string | null;
  /** v10+. */
  clientId: string | null;
  subscriptionName: string | null;
  noLocal: boolean;
  exclusive: boolean;
  retroactive: boolean;
  priority: number;
  brokerPath: BrokerId[] | null;
  additionalPredicate: DataStructure | null;
  networkSubscription: boolean;
  optimizedAcknowledge: boolean;
  noRangeAcks: boolean;
  networkConsumerPath: ConsumerId[] | null;
}

export interface ProducerInfo extends BaseCommand {
  typeCode: Tc['PRODUCER_INFO'];
  producerId: ProducerId | null;
  destination: Destination | null;
  brokerPath: BrokerId[] | null;
  dispatchAsync: boolean;
  windowSize: number;
}

export interface TransactionInfo extends BaseCommand {
  typeCode: Tc['TRANSACTION_INFO'];
  connectionId: ConnectionId | null;
  transactionId: TransactionId | null;
  type: number;
}

export interface DestinationInfo extends BaseCommand {
  typeCode: Tc['DESTINATION_INFO'];
  connectionId: ConnectionId | null;
  destination: Destination | null;
  operationType: number;
  timeout: Long;
  brokerPath: BrokerId[] | null;
}

export interface RemoveSubscriptionInfo extends BaseCommand {
  typeCode: Tc['REMOVE_SUBSCRIPTION_INFO'];
  connectionId: ConnectionId | null;
  subscriptionName: string | null;
  clientId: string | null;
}

export interface KeepAliveInfo extends BaseCommand { typeCode: Tc['KEEP_ALIVE_INFO'] }
export interface ShutdownInfo extends BaseCommand { typeCode: Tc['SHUTDOWN_INFO'] }
export interface FlushCommand extends BaseCommand { typeCode: Tc['FLUSH_COMMAND'] }

export interface RemoveInfo extends BaseCommand {
  typeCode: Tc['REMOVE_INFO'];
  objectId: DataStructure | null;
  lastDeliveredSequenceId: Long;
}

export interface ControlCommand extends BaseCommand { typeCode: Tc['CONTROL_COMMAND']; command: string | null }

export interface ConnectionError extends BaseCommand {
  typeCode: Tc['CONNECTION_ERROR'];
  exception: WireThrowable | null;
  connectionId: ConnectionId | null;
}

export interface ConsumerControl extends BaseCommand {
  typeCode: Tc['CONSUMER_CONTROL'];
  destination: Destination | null;
  close: boolean;
  consumerId: ConsumerId | null;
  prefetch: number;
  flush: boolean;
  start: boolean;
  stop: boolean;
}

export interface ConnectionControl extends BaseCommand {
  typeCode: Tc['CONNECTION_CONTROL'];
  close: boolean;
  exit: boolean;
  faultTolerant: boolean;
  resume: boolean;
  suspend: boolean;
  connectedBrokers: string | null;
  reconnectTo: string | null;
  rebalanceConnection: boolean;
  token: Uint8Array | null;
}

export interface ProducerAck extends BaseCommand { typeCode: Tc['PRODUCER_ACK']; producerId: ProducerId | null; size: number }

export interface MessagePull extends BaseCommand {
  typeCode: Tc['MESSAGE_PULL'];
  consumerId: ConsumerId | null;
  destination: Destination | null;
  timeout: Long;
  correlationId: string | null;
  messageId: MessageId | null;
}

export type MessageTypeCode =
  | Tc['ACTIVEMQ_MESSAGE'] | Tc['ACTIVEMQ_BYTES_MESSAGE'] | Tc['ACTIVEMQ_MAP_MESSAGE'] | Tc['ACTIVEMQ_OBJECT_MESSAGE']
  | Tc['ACTIVEMQ_STREAM_MESSAGE'] | Tc['ACTIVEMQ_TEXT_MESSAGE'] | Tc['ACTIVEMQ_BLOB_MESSAGE'];

export interface Message extends BaseCommand {
  typeCode: MessageTypeCode;
  producerId: ProducerId | null;
  destination: Destination | null;
  transactionId: TransactionId | null;
  originalDestination: Destination | null;
  messageId: MessageId | null;
  originalTransactionId: TransactionId | null;
  groupID: string | null;
  groupSequence: number;
  correlationId: string | null;
  persistent: boolean;
  expiration: Long;
  priority: number;
  replyTo: Destination | null;
  timestamp: Long;
  type: string | null;
  content: Uint8Array | null;
  marshalledProperties: Uint8Array | null;
  dataStructure: DataStructure | null;
  targetConsumerId: ConsumerId | null;
  compressed: boolean;
  redeliveryCounter: number;
  brokerPath: BrokerId[] | null;
  arrival: Long;
  userID: string | null;
  recievedByDFBridge: boolean;
  droppable: boolean;
  cluster: BrokerId[] | null;
  brokerInTime: Long;
  brokerOutTime: Long;
  /** v10+. */
  jmsXGroupFirstForConsumer: boolean;
  /** ActiveMQBlobMessage only. */
  remoteBlobUrl?: string | null;
  mimeType?: string | null;
  deletedByBroker?: boolean;
}

export interface MessageDispatch extends BaseCommand {
  typeCode: Tc['MESSAGE_DISPATCH'];
  consumerId: ConsumerId | null;
  destination: Destination | null;
  message: Message | null;
  redeliveryCounter: number;
}

export interface MessageAck extends BaseCommand {
  typeCode: Tc['MESSAGE_ACK'];
  destination: Destination | null;
  transactionId: TransactionId | null;
  consumerId: ConsumerId | null;
  ackType: number;
  firstMessageId: MessageId | null;
  lastMessageId: MessageId | null;
  messageCount: number;
  poisonCause: WireThrowable | null;
}

export interface Response extends BaseCommand { typeCode: Tc['RESPONSE']; correlationId: number }
export interface ExceptionResponse extends BaseCommand {
  typeCode: Tc['EXCEPTION_RESPONSE'];
  correlationId: number;
  exception: WireThrowable | null;
}
export interface DataResponse extends BaseCommand { typeCode: Tc['DATA_RESPONSE']; correlationId: number; data: DataStructure | null }
export interface DataArrayResponse extends BaseCommand {
  typeCode: Tc['DATA_ARRAY_RESPONSE'];
  correlationId: number;
  data: DataStructure[] | null;
}
export interface IntegerResponse extends BaseCommand { typeCode: Tc['INTEGER_RESPONSE']; correlationId: number; result: number }

/** Any decoded top-level command (the union handlers switch on). */
export type Command =
  | WireFormatInfo | BrokerInfo | ConnectionInfo | SessionInfo | ConsumerInfo | ProducerInfo | TransactionInfo
  | DestinationInfo | RemoveSubscriptionInfo | KeepAliveInfo | ShutdownInfo | FlushCommand | RemoveInfo
  | ControlCommand | ConnectionError | ConsumerControl | ConnectionControl | ProducerAck | MessagePull
  | MessageDispatch | MessageAck | Message | Response | ExceptionResponse | DataResponse | DataArrayResponse
  | IntegerResponse;
