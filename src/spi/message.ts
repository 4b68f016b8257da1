/** The one neutral message type every protocol converts into, once, on the way in. */

export type RoutingType = 'anycast' | 'multicast';

/**
 * A destination in ActiveMQ naming: `.`-separated levels; `*` matches one level and `>` the rest
 * (wildcards only in subscriptions to topics). `anycast` is a queue, `multicast` a topic.
 */
export interface Address {
  readonly name: string;
  readonly routing: RoutingType;
  /** A temporary queue or topic, owned by the session that created it. */
  readonly temporary?: boolean;
}

export type PropertyValue = string | number | boolean | bigint | Uint8Array | null;
export type Properties = Record<string, PropertyValue>;

/**
 * Optional hint of the wire type of a numeric or string property, so that protocols with typed
 * properties (OpenWire, AMQP) can round-trip them exactly. Absent: infer from the JS value.
 */
export type PropertyType =
  | 'byte' | 'short' | 'int' | 'long' | 'float' | 'double' | 'char' | 'string' | 'boolean' | 'bytes';

/** How the body bytes are to be read, as ActiveMQ types messages. */
export type BodyType = 'text' | 'bytes' | 'map' | 'stream' | 'object' | 'empty';

export interface CoreMessage {
  /** Unique id; a producer's own (JMS) id is kept, else the core assigns one at send. */
  messageId: string;
  /** The destination it was sent to (set by the core at send). */
  address: Address;
  body: Uint8Array;
  bodyType: BodyType;
  properties: Properties;
  propertyTypes?: Record<string, PropertyType>;
  persistent: boolean;
  /** 0–9, default 4. */
  priority: number;
  /** Absolute expiry, ms since the epoch; 0 = never. */
  expiration: number;
  /** ms since the epoch; set by the core at send when 0. */
  timestamp: number;
  correlationId?: string;
  replyTo?: Address;
  type?: string;
  contentType?: string;
  groupId?: string;
  groupSeq?: number;
  userId?: string;
  /** Where a dead-lettered message was first sent. */
  originalDestination?: Address;
  /**
   * Scheduled delivery: not handed to consumers before this time, ms since the epoch. The core
   * sets it at send from the `AMQ_SCHEDULED_DELAY` property (ActiveMQ's name, any protocol).
   */
  deliveryTime?: number;
  /**
   * The message as its producer's protocol encoded it, kept so that consumers of the same
   * protocol get it back exactly (e.g. AMQP sections); other protocols use the neutral fields.
   */
  native?: { protocol: string; data: Uint8Array };
}

/** What an adapter hands to send(): the core fills in address, id and timestamp as needed. */
export type OutgoingMessage = Omit<CoreMessage, 'address' | 'messageId' | 'timestamp'> &
  Partial<Pick<CoreMessage, 'messageId' | 'timestamp'>>;

export const DEFAULT_PRIORITY = 4;
