import type { IUnsubscribePacket } from 'mqtt-packet';
import { toBrokerError } from '../../../src/spi/index.js';
import type { MqttConnection } from '../connection.js';
import { REASON, reasonFor } from '../errors.js';
import { parseTopicFilter } from '../topic-mapping.js';

/**
 * UNSUBSCRIBE: each filter is compared character by character with the session's [MQTT-3.10.4-1]
 * and removed with its durable subscription and queued messages. UNSUBACK follows [MQTT-3.10.4-4],
 * with one reason code per filter in 5.0 (0x11 for a filter that was not subscribed).
 */
export async function handleUnsubscribe(conn: MqttConnection, p: IUnsubscribePacket): Promise<void> {
  const session = conn.session!;
  const codes: number[] = [];
  for (const raw of p.unsubscriptions) {
    if (typeof parseTopicFilter(raw, conn.services.config.maxTopicLevels) === 'string') {
      codes.push(REASON.TOPIC_FILTER_INVALID);
      continue;
    }
    try {
      codes.push((await session.unsubscribe(raw)) ? REASON.SUCCESS : REASON.NO_SUBSCRIPTION_EXISTED);
    } catch (err) {
      conn.services.logger.debug({ err, clientId: session.clientId, filter: raw }, 'MQTT unsubscribe failed');
      codes.push(reasonFor(toBrokerError(err), 'subscribe'));
    }
  }
  conn.send(conn.level === 5 ? { cmd: 'unsuback', messageId: p.messageId!, granted: codes } : { cmd: 'unsuback', messageId: p.messageId!, granted: [] });
}
