import type { Address } from '../../src/spi/index.js';
import type { DestinationInfo, Message, ProducerId } from './codec/commands.js';
import { encodePrimitiveMap } from './codec/primitive-map.js';
import { DEST_OP, T } from './codec/type-codes.js';
import type { TempNames } from './mapping.js';

export const ADVISORY_PREFIX = 'ActiveMQ.Advisory.';
export const TEMP_QUEUE_ADVISORY = 'ActiveMQ.Advisory.TempQueue';
export const TEMP_TOPIC_ADVISORY = 'ActiveMQ.Advisory.TempTopic';

/** Someone who wants temp destination advisories: an advisory consumer of some connection. */
export interface AdvisoryWatcher {
  readonly queues: boolean;
  readonly topics: boolean;
  advise(info: DestinationInfo, advisoryTopic: string): void;
}

interface TempEntry {
  readonly ownerKey: string;
  readonly address: Address;
  readonly info: DestinationInfo;
}

/**
 * The temporary destinations OpenWire clients created (they name them; the core names its own)
 * and the advisory consumers that must hear of them: a JMS client only sends to a temp
 * destination it knows exists, and it learns that from ActiveMQ.Advisory.TempQueue/TempTopic
 * (docs/openwire.md §10.9).
 */
export class TempDestinations implements TempNames {
  private readonly byName = new Map<string, TempEntry>();
  private readonly byCore = new Map<string, string>();
  private readonly watchers = new Set<AdvisoryWatcher>();

  coreAddress(openWireName: string): Address | undefined {
    return this.byName.get(openWireName)?.address;
  }

  openWireName(coreName: string): string | undefined {
    return this.byCore.get(coreName);
  }

  ownerOf(openWireName: string): string | undefined {
    return this.byName.get(openWireName)?.ownerKey;
  }

  add(ownerKey: string, info: DestinationInfo, address: Address): void {
    const name = info.destination!.physicalName!;
    const entry: TempEntry = { ownerKey, address, info: { ...info, operationType: DEST_OP.ADD } };
    this.byName.set(name, entry);
    this.byCore.set(address.name, name);
    this.notify(entry.info);
  }

  remove(openWireName: string): Address | undefined {
    const entry = this.byName.get(openWireName);
    if (!entry) return undefined;
    this.byName.delete(openWireName);
    this.byCore.delete(entry.address.name);
    this.notify({ ...entry.info, operationType: DEST_OP.REMOVE, commandId: 0, responseRequired: false });
    return entry.address;
  }

  /** Names an owner created (to forget them when it goes). */
  ownedBy(ownerKey: string): string[] {
    return [...this.byName].filter(([, e]) => e.ownerKey === ownerKey).map(([n]) => n);
  }

  /** Starts advising a watcher, replaying an ADD for every existing temp destination it cares for. */
  watch(w: AdvisoryWatcher): void {
    this.watchers.add(w);
    for (const e of this.byName.values()) {
      const topic = advisoryTopicOf(e.info);
      if (topic === TEMP_QUEUE_ADVISORY ? w.queues : w.topics) w.advise(e.info, topic);
    }
  }

  unwatch(w: AdvisoryWatcher): void {
    this.watchers.delete(w);
  }

  private notify(info: DestinationInfo): void {
    const topic = advisoryTopicOf(info);
    for (const w of this.watchers) if (topic === TEMP_QUEUE_ADVISORY ? w.queues : w.topics) w.advise(info, topic);
  }
}

function advisoryTopicOf(info: DestinationInfo): string {
  return info.destination?.typeCode === T.ACTIVEMQ_TEMP_TOPIC ? TEMP_TOPIC_ADVISORY : TEMP_QUEUE_ADVISORY;
}

/** Which temp advisories a consumer destination (maybe composite or wildcard) asks for, if it is an advisory one. */
export function advisoryInterest(physicalName: string): { queues: boolean; topics: boolean } | undefined {
  const parts = physicalName.split(',').map((p) => p.trim().replace(/^topic:\/\//, ''));
  if (!parts.every((p) => p.startsWith(ADVISORY_PREFIX))) return undefined;
  const matches = (topic: string): boolean => parts.some((p) => p === topic || p === `${ADVISORY_PREFIX}>` || p === 'ActiveMQ.Advisory.*');
  return { queues: matches(TEMP_QUEUE_ADVISORY), topics: matches(TEMP_TOPIC_ADVISORY) };
}

export interface AdvisoryOrigin {
  producerId: ProducerId;
  brokerName: string;
  brokerId: string;
  brokerUrl: string;
}

/** The advisory message ActiveMQ dispatches for a temp destination ADD/REMOVE. */
export function advisoryMessage(info: DestinationInfo, topic: string, origin: AdvisoryOrigin, seq: number): Message {
  const now = Date.now();
  return {
    typeCode: T.ACTIVEMQ_MESSAGE, commandId: 0, responseRequired: false,
    producerId: origin.producerId, destination: { typeCode: T.ACTIVEMQ_TOPIC, physicalName: topic }, transactionId: null,
    originalDestination: null,
    messageId: { typeCode: T.MESSAGE_ID, textView: null, producerId: origin.producerId, producerSequenceId: seq, brokerSequenceId: seq },
    originalTransactionId: null, groupID: null, groupSequence: 0, correlationId: null, persistent: false, expiration: 0,
    priority: 0, replyTo: null, timestamp: 0, type: 'Advisory', content: null,
    marshalledProperties: encodePrimitiveMap([
      ['originBrokerURL', { t: 'string', v: origin.brokerUrl }],
      ['originBrokerId', { t: 'string', v: origin.brokerId }],
      ['originBrokerName', { t: 'string', v: origin.brokerName }],
    ]),
    dataStructure: info, targetConsumerId: null, compressed: false, redeliveryCounter: 0, brokerPath: null, arrival: 0,
    userID: null, recievedByDFBridge: false, droppable: false, cluster: null, brokerInTime: now, brokerOutTime: now,
    jmsXGroupFirstForConsumer: false,
  };
}
