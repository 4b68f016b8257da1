import type { SubscribeOptions } from '../../../src/spi/index.js';
import type { InboundFrame } from '../codec/frame.js';
import { ProtocolError } from '../errors.js';
import type { AckMode } from '../subscriptions.js';
import type { StompContext } from './context.js';

/**
 * SUBSCRIBE, as ActiveMQ's ProtocolConverter.onStompSubscribe reads it:
 * - `id` required from 1.1 on; a 1.0 subscription without one is known by its destination.
 * - `ack`: client | client-individual; anything else (or nothing) is auto.
 * - `selector`; `activemq.subscriptionName` makes a durable topic subscription (needs the
 *   connection's client-id); `activemq.noLocal`; `activemq.exclusive` and `activemq.priority`
 *   (exclusive consumer, consumer priority 0–127); `activemq.prefetchSize` (defaults as ActiveMQ:
 *   queue 1000, topic 32767, durable topic 100). ActiveMQ 5 reads no other durable-name header
 *   (`durable-subscription-name`, `persistent:true` are Artemis / RabbitMQ spellings), so neither
 *   does this: a subscription with only those stays non-durable, as on ActiveMQ.
 * - auto-acknowledged subscriptions get unbounded flow and are settled on hand-over; client
 *   acknowledged ones a window of `prefetch` unacknowledged deliveries.
 * - `browser:true` (ActiveMQ queue browsing, queues only): a snapshot of the waiting messages
 *   (`core.browseMaxMessages` at most) as MESSAGE frames, then a `browser:end` MESSAGE; nothing
 *   is consumed. The subscription stays until UNSUBSCRIBE, as on ActiveMQ, and gets nothing more.
 */
export async function subscribe(frame: InboundFrame, ctx: StompContext): Promise<void> {
  const h = frame.headers;
  const destination = h.get('destination');
  if (destination === undefined || destination.length === 0) throw new ProtocolError("Invalid empty or 'null' Destination header");
  let id = h.get('id');
  if (id === undefined) {
    if (ctx.version !== '1.0') throw new ProtocolError('SUBSCRIBE received without a subscription id!');
    id = destination;
  }
  if (ctx.subscriptions.has(id)) throw new ProtocolError(`Duplicate subscription id: ${id}`);
  const address = ctx.destinations.resolve(destination, true);
  const selectorText = h.get('selector');
  // As ActiveMQ does for STOMP: header values are strings, so compare them with numbers as numbers.
  const selector = selectorText !== undefined && selectorText.trim().length > 0 ? `convert_string_expressions:${selectorText}` : undefined;
  if (h.get('browser') === 'true') {
    if (address.routing !== 'anycast') throw new ProtocolError('Queue browsing (browser:true) needs a queue destination');
    const messages = await ctx.session.browse(address, selector !== undefined ? { selector } : {});
    const sub = { id, consumerId: undefined, address, ackMode: 'auto' as const, pending: new Map() };
    ctx.subscriptions.add(sub);
    ctx.receipt(frame);
    ctx.browsed(sub, messages);
    return;
  }
  const durableName = h.get('activemq.subscriptionName');
  if (durableName !== undefined && address.routing === 'anycast') {
    throw new ProtocolError('Invalid Subscription: cannot durably subscribe to a Queue destination!');
  }
  const ackMode = ackModeOf(h.get('ack'));
  const options: SubscribeOptions =
    ackMode === 'auto'
      ? { flow: { kind: 'unbounded' }, autoSettle: true }
      : { flow: { kind: 'window', size: prefetchOf(h.get('activemq.prefetchSize'), address.routing === 'anycast', durableName, ctx) } };
  if (selector !== undefined) options.selector = selector;
  if (h.get('activemq.noLocal') === 'true') options.noLocal = true;
  if (h.get('activemq.exclusive') === 'true') options.exclusive = true;
  const priority = h.get('activemq.priority');
  if (priority !== undefined) options.priority = priorityOf(priority);
  if (durableName !== undefined) options.durableName = durableName;
  const consumerId = await ctx.session.subscribe(address, options);
  ctx.subscriptions.add({ id, consumerId, address, ackMode, pending: new Map() });
  // The core starts delivering on a later macrotask: the RECEIPT goes first, as on ActiveMQ.
  ctx.receipt(frame);
}

/** ActiveMQ consumer priorities are a byte: 0–127. */
function priorityOf(value: string): number {
  const priority = /^\s*\d{1,3}\s*$/.test(value) ? Number(value) : NaN;
  if (!(priority <= 127)) throw new ProtocolError(`Invalid activemq.priority: ${value.slice(0, 32)} (0 to 127)`);
  return priority;
}

function ackModeOf(value: string | undefined): AckMode {
  return value === 'client' || value === 'client-individual' ? value : 'auto';
}

function prefetchOf(value: string | undefined, queue: boolean, durableName: string | undefined, ctx: StompContext): number {
  if (value === undefined) {
    if (queue) return ctx.config.defaultPrefetch;
    return durableName !== undefined ? ctx.config.defaultDurableTopicPrefetch : ctx.config.defaultTopicPrefetch;
  }
  const prefetch = /^\s*\d{1,9}\s*$/.test(value) ? Number(value) : NaN;
  if (!(prefetch >= 1)) throw new ProtocolError(`Invalid activemq.prefetchSize: ${value.slice(0, 32)} (a positive integer is required)`);
  return prefetch;
}
