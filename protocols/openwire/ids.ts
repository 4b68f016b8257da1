import type {
  ConnectionId, ConsumerId, DataStructure, MessageId, ProducerId, SessionId, TransactionId,
} from './codec/commands.js';
import { T } from './codec/type-codes.js';

/**
 * String forms of OpenWire ids, as ActiveMQ's toString() writes them: map keys here, JMS
 * message ids on the wire (`ID:host-port-time-n:conn:session:producer:seq`).
 */
export const connectionKey = (id: ConnectionId | null): string => id?.value ?? '';
export const sessionKey = (id: SessionId | null): string => (id ? `${id.connectionId}:${id.value}` : '');
const idKey = (id: ConsumerId | ProducerId | null): string => (id ? `${id.connectionId}:${id.sessionId}:${id.value}` : '');
export const consumerKey: (id: ConsumerId | null) => string = idKey;
export const producerKey: (id: ProducerId | null) => string = idKey;

/**
 * The key of the last consumer or producer id asked about, kept: a connection's sends and acks
 * name the same producer or consumer frame after frame (each time as a freshly decoded id).
 */
export class LastIdKey {
  private last: ConsumerId | ProducerId | null = null;
  private key = '';

  of(id: ConsumerId | ProducerId | null): string {
    const last = this.last;
    if (id === null) return '';
    if (last === null || id.value !== last.value || id.sessionId !== last.sessionId || id.connectionId !== last.connectionId) {
      this.last = id;
      this.key = idKey(id);
    }
    return this.key;
  }
}

/** The session a consumer or producer id belongs to. */
export const parentSessionKey = (id: ConsumerId | ProducerId): string => `${id.connectionId}:${id.sessionId}`;

export function messageIdString(id: MessageId | null): string {
  if (!id) return '';
  if (id.textView) return id.textView.startsWith('ID:') ? id.textView : `ID:${id.textView}`;
  return `${producerKey(id.producerId)}:${id.producerSequenceId}`;
}

export function transactionKey(id: TransactionId | null): string {
  if (!id) return '';
  if (id.typeCode === T.LOCAL_TRANSACTION_ID) return `TX:${connectionKey(id.connectionId)}:${id.value}`;
  const hex = (b: Uint8Array | null): string => (b ? Buffer.from(b).toString('hex') : '');
  return `XID:${id.formatId}:${hex(id.globalTransactionId)}:${hex(id.branchQualifier)}`;
}

/** The kind of id a RemoveInfo names. */
export type RemovedObject =
  | { kind: 'connection'; key: string }
  | { kind: 'session'; key: string }
  | { kind: 'consumer'; key: string }
  | { kind: 'producer'; key: string }
  | { kind: 'other' };

export function removedObject(o: DataStructure | null): RemovedObject {
  switch (o?.typeCode) {
    case T.CONNECTION_ID: return { kind: 'connection', key: connectionKey(o as ConnectionId) };
    case T.SESSION_ID: return { kind: 'session', key: sessionKey(o as SessionId) };
    case T.CONSUMER_ID: return { kind: 'consumer', key: consumerKey(o as ConsumerId) };
    case T.PRODUCER_ID: return { kind: 'producer', key: producerKey(o as ProducerId) };
    default: return { kind: 'other' };
  }
}
