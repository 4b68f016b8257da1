import type { OpenWireConnection } from '../connection.js';
import type { ConnectionControl, ConnectionInfo, RemoveInfo } from '../codec/commands.js';
import { T } from '../codec/type-codes.js';
import { ILLEGAL_STATE, JMS_EXCEPTION, OpenWireError } from '../errors.js';
import { longToNumber } from '../codec/long.js';
import { connectionKey, removedObject } from '../ids.js';
import { removeConsumer } from './consumer-handlers.js';
import { removeSession } from './session-handlers.js';

/**
 * ConnectionInfo: authenticate, open the core session under the JMS client id. A ConnectionInfo
 * whose connection id is still held by another (stale) connection is a failover reconnect: that
 * connection is dropped and this one takes over (docs/openwire.md §13). A replay on the same
 * transport is answered and otherwise ignored.
 */
export async function onConnectionInfo(c: OpenWireConnection, info: ConnectionInfo): Promise<void> {
  const key = connectionKey(info.connectionId);
  if (!key) throw new OpenWireError(JMS_EXCEPTION, 'ConnectionInfo without a connection id');
  if (c.state === 'connected') {
    if (key === c.connectionKey) return;
    throw new OpenWireError(ILLEGAL_STATE, 'this transport already carries a connection');
  }
  const principal = await c.broker.core.authenticate({
    ...(info.userName !== null ? { username: info.userName } : {}),
    ...(info.password !== null ? { password: info.password } : {}),
  });
  const stale = c.broker.byConnectionId.get(key);
  if (stale && stale !== c) {
    c.logger.info({ connectionId: key }, 'killing the previous stale connection with the same id');
    await stale.terminate('taken over by a reconnect with the same connection id');
  }
  if (c.state !== 'open') return;
  c.session = c.broker.core.openSession({
    principal,
    protocol: 'openwire',
    remoteAddress: c.transport.remoteAddress,
    ...(info.clientId !== null ? { clientId: info.clientId } : {}),
    clientIdPolicy: 'reject',
  }, c);
  c.connectionInfo = info;
  c.transition('connected');
  c.broker.byConnectionId.set(key, c);
  const control: ConnectionControl = {
    typeCode: T.CONNECTION_CONTROL, commandId: 0, responseRequired: false, close: false, exit: false,
    faultTolerant: false, resume: false, suspend: false, connectedBrokers: '', reconnectTo: '',
    rebalanceConnection: false, token: null,
  };
  c.send(control);
}

/** RemoveInfo: of the connection, a session, a consumer or a producer. Unknown ids are ignored. */
export async function onRemoveInfo(c: OpenWireConnection, info: RemoveInfo): Promise<void> {
  const o = removedObject(info.objectId);
  switch (o.kind) {
    case 'connection':
      if (o.key !== c.connectionKey || c.state !== 'connected') return;
      await c.disconnect();
      c.transition('disconnected');
      return;
    case 'session':
      return removeSession(c, o.key);
    case 'consumer':
      return removeConsumer(c, o.key, longToNumber(info.lastDeliveredSequenceId));
    case 'producer':
      if (!c.producers.delete(o.key)) return;
      for (const s of c.sessions.values()) s.producers.delete(o.key);
      return;
    case 'other':
      return;
  }
}

/** The client is going: flush and close. */
export function onShutdownInfo(c: OpenWireConnection): void {
  void c.end();
}

export function onFlush(): void {}

/** The failover transport announces itself with one; nothing to do. */
export function onConnectionControl(): void {}
