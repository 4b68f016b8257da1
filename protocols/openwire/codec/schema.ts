import { T } from './type-codes.js';

/**
 * OpenWire's data structures as data: for each type code, its fields in wire order (versions
 * 9–12; docs/openwire.md §8). One table drives loose and tight, decode and encode.
 *
 * Field kinds: bool, byte, int, long, str (nullable string), bytes (nullable int-sized byte
 * array or byte sequence), magic (8 raw bytes), obj (nested structure), cobj (nested structure
 * subject to value caching), arr (nullable array of nested structures), thr (throwable).
 * `name@10` = present from version 10 on; `name@-9` = present up to version 9.
 */
export type FieldKind = 'bool' | 'byte' | 'int' | 'long' | 'str' | 'bytes' | 'magic' | 'obj' | 'cobj' | 'arr' | 'thr';

export interface FieldSpec {
  readonly name: string;
  readonly kind: FieldKind;
  readonly since: number;
  readonly until: number;
}

export interface StructSpec {
  readonly typeCode: number;
  /** The Java class name (simple). */
  readonly name: string;
  /** Starts with the command header: int commandId, bool responseRequired. */
  readonly command: boolean;
  /** Messages and WireFormatInfo: one extra (always false) bit when nested in tight encoding. */
  readonly marshalAware: boolean;
  readonly since: number;
  readonly fields: readonly FieldSpec[];
}

export const MIN_VERSION = 9;
export const MAX_VERSION = 12;

const KINDS = new Set<string>(['bool', 'byte', 'int', 'long', 'str', 'bytes', 'magic', 'obj', 'cobj', 'arr', 'thr']);

function parseFields(text: string): FieldSpec[] {
  if (text.trim() === '') return [];
  return text.split(',').map((part) => {
    const [kind, nameSpec] = part.trim().split(/\s+/) as [string, string];
    if (!KINDS.has(kind) || !nameSpec) throw new Error(`bad field spec: ${part}`);
    const [name, ver] = nameSpec.split('@') as [string, string | undefined];
    let since = MIN_VERSION;
    let until = MAX_VERSION;
    if (ver !== undefined) {
      const v = Number(ver);
      if (v < 0) until = -v;
      else since = v;
    }
    return { name, kind: kind as FieldKind, since, until };
  });
}

const MESSAGE_FIELDS =
  'cobj producerId, cobj destination, cobj transactionId, cobj originalDestination, obj messageId, ' +
  'cobj originalTransactionId, str groupID, int groupSequence, str correlationId, bool persistent, ' +
  'long expiration, byte priority, obj replyTo, long timestamp, str type, bytes content, ' +
  'bytes marshalledProperties, obj dataStructure, cobj targetConsumerId, bool compressed, ' +
  'int redeliveryCounter, arr brokerPath, long arrival, str userID, bool recievedByDFBridge, ' +
  'bool droppable, arr cluster, long brokerInTime, long brokerOutTime, bool jmsXGroupFirstForConsumer@10';

type Row = [typeCode: number, name: string, kind: 'command' | 'struct' | 'aware-command' | 'aware-struct', fields: string, since?: number];

const ROWS: Row[] = [
  [T.WIREFORMAT_INFO, 'WireFormatInfo', 'aware-struct', 'magic magic, int version, bytes marshalledProperties'],
  [T.BROKER_INFO, 'BrokerInfo', 'command',
    'cobj brokerId, str brokerURL, arr peerBrokerInfos, str brokerName, bool slaveBroker, bool masterBroker, ' +
    'bool faultTolerantConfiguration, bool duplexConnection, bool networkConnection, long connectionId, ' +
    'str brokerUploadUrl, str networkProperties'],
  [T.CONNECTION_INFO, 'ConnectionInfo', 'command',
    'cobj connectionId, str clientId, str password, str userName, arr brokerPath, bool brokerMasterConnector, ' +
    'bool manageable, bool clientMaster, bool faultTolerant, bool failoverReconnect, str clientIp'],
  [T.SESSION_INFO, 'SessionInfo', 'command', 'cobj sessionId'],
  [T.CONSUMER_INFO, 'ConsumerInfo', 'command',
    'cobj consumerId, bool browser, cobj destination, int prefetchSize, int maximumPendingMessageLimit, ' +
    'bool dispatchAsync, str selector, str clientId@10, str subscriptionName, bool noLocal, bool exclusive, ' +
    'bool retroactive, byte priority, arr brokerPath, obj additionalPredicate, bool networkSubscription, ' +
    'bool optimizedAcknowledge, bool noRangeAcks, arr networkConsumerPath'],
  [T.PRODUCER_INFO, 'ProducerInfo', 'command', 'cobj producerId, cobj destination, arr brokerPath, bool dispatchAsync, int windowSize'],
  [T.TRANSACTION_INFO, 'TransactionInfo', 'command', 'cobj connectionId, cobj transactionId, byte type'],
  [T.DESTINATION_INFO, 'DestinationInfo', 'command',
    'cobj connectionId, cobj destination, byte operationType, long timeout, arr brokerPath'],
  [T.REMOVE_SUBSCRIPTION_INFO, 'RemoveSubscriptionInfo', 'command', 'cobj connectionId, str subscriptionName, str clientId'],
  [T.KEEP_ALIVE_INFO, 'KeepAliveInfo', 'command', ''],
  [T.SHUTDOWN_INFO, 'ShutdownInfo', 'command', ''],
  [T.REMOVE_INFO, 'RemoveInfo', 'command', 'cobj objectId, long lastDeliveredSequenceId'],
  [T.CONTROL_COMMAND, 'ControlCommand', 'command', 'str command'],
  [T.FLUSH_COMMAND, 'FlushCommand', 'command', ''],
  [T.CONNECTION_ERROR, 'ConnectionError', 'command', 'thr exception, obj connectionId'],
  [T.CONSUMER_CONTROL, 'ConsumerControl', 'command',
    'obj destination, bool close, obj consumerId, int prefetch, bool flush, bool start, bool stop'],
  [T.CONNECTION_CONTROL, 'ConnectionControl', 'command',
    'bool close, bool exit, bool faultTolerant, bool resume, bool suspend, str connectedBrokers, str reconnectTo, ' +
    'bool rebalanceConnection, bytes token'],
  [T.PRODUCER_ACK, 'ProducerAck', 'command', 'obj producerId, int size'],
  [T.MESSAGE_PULL, 'MessagePull', 'command', 'cobj consumerId, cobj destination, long timeout, str correlationId, obj messageId'],
  [T.MESSAGE_DISPATCH, 'MessageDispatch', 'command', 'cobj consumerId, cobj destination, obj message, int redeliveryCounter'],
  [T.MESSAGE_ACK, 'MessageAck', 'command',
    'cobj destination, cobj transactionId, cobj consumerId, byte ackType, obj firstMessageId, obj lastMessageId, ' +
    'int messageCount, thr poisonCause'],
  [T.ACTIVEMQ_MESSAGE, 'ActiveMQMessage', 'aware-command', MESSAGE_FIELDS],
  [T.ACTIVEMQ_BYTES_MESSAGE, 'ActiveMQBytesMessage', 'aware-command', MESSAGE_FIELDS],
  [T.ACTIVEMQ_MAP_MESSAGE, 'ActiveMQMapMessage', 'aware-command', MESSAGE_FIELDS],
  [T.ACTIVEMQ_OBJECT_MESSAGE, 'ActiveMQObjectMessage', 'aware-command', MESSAGE_FIELDS],
  [T.ACTIVEMQ_STREAM_MESSAGE, 'ActiveMQStreamMessage', 'aware-command', MESSAGE_FIELDS],
  [T.ACTIVEMQ_TEXT_MESSAGE, 'ActiveMQTextMessage', 'aware-command', MESSAGE_FIELDS],
  [T.ACTIVEMQ_BLOB_MESSAGE, 'ActiveMQBlobMessage', 'aware-command', `${MESSAGE_FIELDS}, str remoteBlobUrl, str mimeType, bool deletedByBroker`],
  [T.RESPONSE, 'Response', 'command', 'int correlationId'],
  [T.EXCEPTION_RESPONSE, 'ExceptionResponse', 'command', 'int correlationId, thr exception'],
  [T.DATA_RESPONSE, 'DataResponse', 'command', 'int correlationId, obj data'],
  [T.DATA_ARRAY_RESPONSE, 'DataArrayResponse', 'command', 'int correlationId, arr data'],
  [T.INTEGER_RESPONSE, 'IntegerResponse', 'command', 'int correlationId, int result'],
  [T.DISCOVERY_EVENT, 'DiscoveryEvent', 'struct', 'str serviceName, str brokerName'],
  [T.SUBSCRIPTION_INFO, 'SubscriptionInfo', 'struct',
    'str clientId, cobj destination, str selector, str subscriptionName, obj subscribedDestination, bool noLocal@11'],
  [T.PARTIAL_COMMAND, 'PartialCommand', 'struct', 'int commandId, bytes data'],
  [T.LAST_PARTIAL_COMMAND, 'LastPartialCommand', 'struct', 'int commandId, bytes data'],
  [T.REPLAY_COMMAND, 'ReplayCommand', 'command', 'int firstNakNumber, int lastNakNumber'],
  [T.MESSAGE_DISPATCH_NOTIFICATION, 'MessageDispatchNotification', 'command',
    'cobj consumerId, cobj destination, long deliverySequenceId, obj messageId'],
  [T.NETWORK_BRIDGE_FILTER, 'NetworkBridgeFilter', 'struct',
    'cobj networkBrokerId, int networkTTL@-9, int messageTTL@10, int consumerTTL@10'],
  [T.BROKER_SUBSCRIPTION_INFO, 'BrokerSubscriptionInfo', 'command', 'obj brokerId, str brokerName, arr subscriptionInfos', 12],
  [T.ACTIVEMQ_QUEUE, 'ActiveMQQueue', 'struct', 'str physicalName'],
  [T.ACTIVEMQ_TOPIC, 'ActiveMQTopic', 'struct', 'str physicalName'],
  [T.ACTIVEMQ_TEMP_QUEUE, 'ActiveMQTempQueue', 'struct', 'str physicalName'],
  [T.ACTIVEMQ_TEMP_TOPIC, 'ActiveMQTempTopic', 'struct', 'str physicalName'],
  [T.MESSAGE_ID, 'MessageId', 'struct', 'str textView@10, cobj producerId, long producerSequenceId, long brokerSequenceId'],
  [T.LOCAL_TRANSACTION_ID, 'LocalTransactionId', 'struct', 'long value, cobj connectionId'],
  [T.XA_TRANSACTION_ID, 'XATransactionId', 'struct', 'int formatId, bytes globalTransactionId, bytes branchQualifier'],
  [T.CONNECTION_ID, 'ConnectionId', 'struct', 'str value'],
  [T.SESSION_ID, 'SessionId', 'struct', 'str connectionId, long value'],
  [T.CONSUMER_ID, 'ConsumerId', 'struct', 'str connectionId, long sessionId, long value'],
  [T.PRODUCER_ID, 'ProducerId', 'struct', 'str connectionId, long value, long sessionId'],
  [T.BROKER_ID, 'BrokerId', 'struct', 'str value'],
];

const ALL: StructSpec[] = ROWS.map(([typeCode, name, kind, fields, since]) => ({
  typeCode,
  name,
  command: kind === 'command' || kind === 'aware-command',
  marshalAware: kind === 'aware-command' || kind === 'aware-struct',
  since: since ?? MIN_VERSION,
  fields: parseFields(fields),
}));

/** The structures of one protocol version, indexed by type code (fields filtered to that version). */
export function specsForVersion(version: number): ReadonlyArray<StructSpec | undefined> {
  const table: Array<StructSpec | undefined> = new Array(256).fill(undefined);
  for (const s of ALL) {
    if (version < s.since) continue;
    table[s.typeCode] = { ...s, fields: s.fields.filter((f) => version >= f.since && version <= f.until) };
  }
  return table;
}

/** Java class name of a type code, for logs and tests. */
export function structName(typeCode: number): string {
  return ALL.find((s) => s.typeCode === typeCode)?.name ?? `type ${typeCode}`;
}
