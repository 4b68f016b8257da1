import type { ISubscribePacket } from 'mqtt-packet';
import { toBrokerError } from '../../../src/spi/index.js';
import type { MqttConnection } from '../connection.js';
import { REASON, V3_SUBACK_FAILURE, protocolError, reasonFor } from '../errors.js';
import type { StoredPublish } from '../message-mapping.js';
import type { SubscriptionOptions } from '../session.js';
import { parseTopicFilter } from '../topic-mapping.js';

const MAX_SUBSCRIPTION_ID = 268_435_455;

/**
 * SUBSCRIBE: each filter in order — checked (invalid: 0x8F / 0x80), counted against the session's
 * quota, then added or replacing the same filter [MQTT-3.8.4-3]. SUBACK carries one code per
 * filter, in order [MQTT-3.8.4-6]; then the matching retained messages follow, per Retain
 * Handling (0: always, 1: only for a new subscription, 2: never), never for shared subscriptions
 * (MQTT 5 §4.8.2), flagged retain [MQTT-3.3.1-6] [MQTT-3.3.1-8].
 */
export async function handleSubscribe(conn: MqttConnection, p: ISubscribePacket): Promise<void> {
  const session = conn.session!;
  const { config, retained } = conn.services;
  const v5 = conn.level === 5;
  const id = p.properties?.subscriptionIdentifier;
  if (id !== undefined && (typeof id !== 'number' || id < 1 || id > MAX_SUBSCRIPTION_ID)) {
    throw protocolError('Subscription Identifier out of range'); // MQTT 5 §3.8.2.1.2: 1 to 268,435,455
  }
  const codes: number[] = [];
  const retainedFor: Array<{ messages: StoredPublish[]; options: SubscriptionOptions }> = [];
  for (const s of p.subscriptions) {
    const filter = parseTopicFilter(s.topic, config.maxTopicLevels);
    if (typeof filter === 'string') {
      codes.push(v5 ? REASON.TOPIC_FILTER_INVALID : V3_SUBACK_FAILURE);
      continue;
    }
    if (filter.sharedGroup !== undefined && s.nl) throw protocolError('No Local on a shared subscription'); // [MQTT-3.8.3-4]
    if (session.subscriptionCount >= config.maxSubscriptionsPerSession && !session.hasSubscription(filter.raw)) {
      codes.push(v5 ? REASON.QUOTA_EXCEEDED : V3_SUBACK_FAILURE);
      continue;
    }
    const options: SubscriptionOptions = {
      qos: s.qos, noLocal: s.nl === true, retainAsPublished: s.rap === true, retainHandling: (s.rh ?? 0) as 0 | 1 | 2, id,
    };
    try {
      const { existed } = await session.subscribe(filter, options);
      codes.push(s.qos); // the granted QoS is the requested one: QoS 2 is supported
      const wantsRetained = options.retainHandling === 0 || (options.retainHandling === 1 && !existed);
      if (filter.sharedGroup === undefined && wantsRetained) {
        retainedFor.push({ messages: retained.matching(filter.levels, Date.now()), options });
      }
    } catch (err) {
      conn.services.logger.debug({ err, clientId: session.clientId, filter: filter.raw }, 'MQTT subscription refused');
      codes.push(v5 ? reasonFor(toBrokerError(err), 'subscribe') : V3_SUBACK_FAILURE);
    }
  }
  conn.send({ cmd: 'suback', messageId: p.messageId!, granted: codes });
  for (const r of retainedFor) session.deliverRetained(r.messages, r.options);
}
