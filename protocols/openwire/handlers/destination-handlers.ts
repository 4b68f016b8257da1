import { BrokerError, isBrokerError } from '../../../src/spi/index.js';
import type { OpenWireConnection } from '../connection.js';
import type { DestinationInfo, RemoveSubscriptionInfo } from '../codec/commands.js';
import { DEST_OP, T } from '../codec/type-codes.js';
import { JMS_EXCEPTION, OpenWireError } from '../errors.js';
import { requireSession } from './handler.js';

/**
 * DestinationInfo: creates or deletes a temporary destination (named by the client), telling
 * every advisory consumer. Ordinary destinations come and go on demand: nothing to do. A
 * replayed ADD for a temp destination this connection already has is a no-op.
 */
export async function onDestinationInfo(c: OpenWireConnection, info: DestinationInfo): Promise<void> {
  const session = requireSession(c);
  const dest = info.destination;
  const temporary = dest?.typeCode === T.ACTIVEMQ_TEMP_QUEUE || dest?.typeCode === T.ACTIVEMQ_TEMP_TOPIC;
  if (!temporary || !dest.physicalName) return;
  const name = dest.physicalName;
  const me = String(c.number);
  const owner = c.broker.temps.ownerOf(name);
  if (info.operationType === DEST_OP.ADD) {
    if (owner === me) return;
    if (owner !== undefined) throw new OpenWireError(JMS_EXCEPTION, `temporary destination ${name} already exists`);
    const address = session.createTemporary(dest.typeCode === T.ACTIVEMQ_TEMP_QUEUE ? 'anycast' : 'multicast');
    c.broker.temps.add(me, info, address);
    return;
  }
  if (owner === undefined) return;
  if (owner !== me) throw new BrokerError('TEMP_DESTINATION_FOREIGN', `temporary destination ${name} belongs to another connection`);
  const address = c.broker.temps.remove(name);
  if (address) await session.deleteTemporary(address);
}

/** RemoveSubscriptionInfo: deletes a durable subscription of this client id (JMS unsubscribe). */
export async function onRemoveSubscriptionInfo(c: OpenWireConnection, info: RemoveSubscriptionInfo): Promise<void> {
  const session = requireSession(c);
  const name = info.subscriptionName ?? '';
  try {
    await session.removeDurable(name);
  } catch (e) {
    if (isBrokerError(e) && e.code === 'NO_SUCH_SUBSCRIPTION') {
      throw new BrokerError('NO_SUCH_SUBSCRIPTION', `No durable subscription exists for clientID: ${session.clientId} and subscriptionName: ${name}`);
    }
    if (isBrokerError(e) && e.code === 'SUBSCRIPTION_IN_USE') {
      throw new BrokerError('SUBSCRIPTION_IN_USE', `Durable consumer is in use for client: ${session.clientId} and subscriptionName: ${name}`);
    }
    throw e;
  }
}
