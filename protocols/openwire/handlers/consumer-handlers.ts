import { BrokerError, isBrokerError, type Address, type BrowsedMessage, type SubscribeOptions } from '../../../src/spi/index.js';
import type { OpenWireConnection } from '../connection.js';
import type { ConsumerControl, ConsumerInfo, MessageDispatch, MessagePull } from '../codec/commands.js';
import { longToNumber } from '../codec/long.js';
import { T } from '../codec/type-codes.js';
import { ConsumerState } from '../consumer-state.js';
import { consumerKey, parentSessionKey } from '../ids.js';
import { deliveryDispatch } from '../dispatch.js';
import { destinationAddresses, isTopicDestination } from '../mapping.js';
import { advisoryInterest } from '../temp-destinations.js';
import { requireSession } from './handler.js';
import { sessionEntry } from './session-handlers.js';

/**
 * ConsumerInfo: a core consumer per destination part, fed by credit (prefetch, or pulls for
 * prefetch 0). Advisory consumers (the JMS connection's own, on ActiveMQ.Advisory.*) are served
 * here, not by the core. A replayed ConsumerInfo (failover) is a no-op.
 */
export async function onConsumerInfo(c: OpenWireConnection, info: ConsumerInfo): Promise<void> {
  const session = requireSession(c);
  const key = consumerKey(info.consumerId);
  if (!info.consumerId) throw new BrokerError('INVALID_MESSAGE', 'ConsumerInfo without a consumer id');
  if (c.consumers.has(key)) return;
  const dest = info.destination;
  if (!dest?.physicalName) throw new BrokerError('INVALID_ADDRESS', 'ConsumerInfo without a destination');
  const sKey = parentSessionKey(info.consumerId);
  const state = new ConsumerState(key, sKey, info, session);
  const interest = isTopicDestination(dest) ? advisoryInterest(dest.physicalName) : undefined;
  if (interest) {
    const watcher = { ...interest, advise: (i: Parameters<OpenWireConnection['advise']>[1], topic: string) => c.advise(state, i, topic) };
    c.consumers.set(key, state);
    sessionEntry(c, sKey).consumers.add(key);
    c.advisoryWatchers.set(key, watcher);
    c.broker.temps.watch(watcher);
    return;
  }
  const addresses = destinationAddresses(dest, c.broker.temps);
  const selector = info.selector?.trim() ? info.selector : undefined;
  if (info.browser) {
    await startBrowse(c, state, addresses, selector);
    return;
  }
  const durable = isTopicDestination(dest) && info.subscriptionName ? info.subscriptionName : undefined;
  c.consumers.set(key, state);
  sessionEntry(c, sKey).consumers.add(key);
  try {
    for (const address of addresses) {
      const credit = state.initialCredit();
      // `?consumer.exclusive=true&consumer.priority=N` on the destination arrive as these fields.
      // Not revocable: the JMS client poison-acks a message dispatched to its connection twice.
      const options: SubscribeOptions = {
        flow: { kind: 'credit', initial: credit }, noLocal: info.noLocal, exclusive: info.exclusive, priority: info.priority, revocable: false,
      };
      if (selector !== undefined) options.selector = selector;
      if (durable !== undefined) options.durableName = durable;
      const id = await session.subscribe(address, options);
      state.attach(id, credit);
      if (state.closed) break;
      c.claim(id, state);
    }
  } catch (e) {
    await removeConsumer(c, key);
    throw e;
  }
  if (state.closed) await closeCoreConsumers(c, state);
}

/**
 * QueueBrowser: a snapshot of each queue, sent after the answer to the ConsumerInfo and ended by
 * a null dispatch. Nothing is settled: the client's acks for browsed messages match no record.
 */
async function startBrowse(c: OpenWireConnection, state: ConsumerState, addresses: Address[], selector: string | undefined): Promise<void> {
  const session = requireSession(c);
  const snapshot: BrowsedMessage[] = [];
  for (const address of addresses) snapshot.push(...await session.browse(address, selector === undefined ? {} : { selector }));
  c.consumers.set(state.key, state);
  sessionEntry(c, state.sessionKey).consumers.add(state.key);
  setImmediate(() => {
    if (state.closed) return;
    for (const b of snapshot) c.send(deliveryDispatch(c.broker, state.info, b, c.broker.nextSequence()));
    c.send(nullDispatch(state.info));
  });
}

/** RemoveInfo.lastDeliveredSequenceId when the client does not say (a session or connection going). */
const LAST_DELIVERED_UNKNOWN = -2;

/**
 * RemoveInfo(ConsumerId): unsettled messages go back to their queue. Those handed to the
 * application (up to `lastDelivered`, the brokerSequenceId the client names) count as a delivery
 * attempt; those it only prefetched (after it; all of them when it is -1) go back uncounted, so
 * they are not JMSRedelivered next time (ActiveMQ's rule). -2, unknown: all count.
 */
export async function removeConsumer(c: OpenWireConnection, key: string, lastDelivered = LAST_DELIVERED_UNKNOWN): Promise<void> {
  const state = c.consumers.get(key);
  if (!state) return;
  c.consumers.delete(key);
  c.sessions.get(state.sessionKey)?.consumers.delete(key);
  state.closed = true;
  state.stopPull();
  const watcher = c.advisoryWatchers.get(key);
  if (watcher) {
    c.advisoryWatchers.delete(key);
    c.broker.temps.unwatch(watcher);
    return;
  }
  if (lastDelivered !== LAST_DELIVERED_UNKNOWN) await releasePrefetched(c, state, lastDelivered);
  await closeCoreConsumers(c, state);
}

/** Gives back, uncounted, what a closing consumer was sent after `lastDelivered` and holds outside a transaction. */
async function releasePrefetched(c: OpenWireConnection, state: ConsumerState, lastDelivered: number): Promise<void> {
  const session = c.session;
  if (!session) return;
  // No more credit first: what goes back must not be dispatched to this consumer again.
  state.drain();
  const releasing: Promise<void>[] = [];
  for (const [seq, r] of state.records) {
    if (seq <= lastDelivered || r.txKey !== undefined) continue;
    state.forget(seq);
    releasing.push(session.settle(r.coreConsumer, r.deliveryId, 'released').catch(() => undefined));
  }
  await Promise.all(releasing);
}

async function closeCoreConsumers(c: OpenWireConnection, state: ConsumerState): Promise<void> {
  const session = c.session;
  for (const id of state.coreIds) {
    c.release(id);
    if (!session) continue;
    try {
      await session.unsubscribe(id);
    } catch (e) {
      if (!isBrokerError(e) || (e.code !== 'NO_SUCH_CONSUMER' && e.code !== 'SESSION_CLOSED')) throw e;
    }
  }
}

/** ConsumerControl from the client: the failover transport restoring a prefetch after replay. */
export function onConsumerControl(c: OpenWireConnection, control: ConsumerControl): void {
  const state = c.consumers.get(consumerKey(control.consumerId));
  if (!state || state.closed) return;
  state.prefetch = Math.max(0, control.prefetch);
  state.syncCredit();
}

function nullDispatch(info: ConsumerInfo): MessageDispatch {
  return {
    typeCode: T.MESSAGE_DISPATCH, commandId: 0, responseRequired: false, consumerId: info.consumerId,
    destination: null, message: null, redeliveryCounter: 0,
  };
}

/**
 * MessagePull (prefetch 0): one credit; if nothing comes, a null dispatch after `timeout` ms
 * (timeout -1: at once; 0: wait for ever). docs/openwire.md §10.7.
 */
export function onMessagePull(c: OpenWireConnection, pull: MessagePull): void {
  requireSession(c);
  const state = c.consumers.get(consumerKey(pull.consumerId));
  if (!state || state.closed || state.prefetch > 0 || c.advisoryWatchers.has(state.key)) return;
  const timeout = longToNumber(pull.timeout);
  if (state.pullTimer) clearTimeout(state.pullTimer);
  state.pullTimer = undefined;
  if (!state.pullWaiting) {
    state.pullWaiting = true;
    state.syncCredit();
  }
  if (!state.pullWaiting) return;
  const expire = (): void => {
    if (!state.pullWaiting || state.closed) return;
    state.stopPull();
    state.drain();
    c.send(nullDispatch(state.info));
  };
  if (timeout < 0) expire();
  else if (timeout > 0) {
    state.pullTimer = setTimeout(expire, timeout);
    state.pullTimer.unref();
  }
}
