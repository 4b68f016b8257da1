import { BrokerError } from '../spi/errors.js';
import type { Address, CoreMessage } from '../spi/message.js';
import { validateAddress } from './address-rules.js';
import { Queue, type QueueHost } from './queue.js';
import { wantsMessage, type Origin, type Subscription } from './subscription.js';
import { TopicTrie } from './topic-trie.js';

export interface TemporaryDestination {
  readonly address: Address;
  readonly ownerSessionId: string;
}

export interface RouterEvents {
  /** A durable container (queue, topic, durable subscription) came into being: persist it. */
  created(key: string, meta: Record<string, unknown>): void;
  /** A queue was made on first use (wildcard consumers may want it). */
  queueMade(q: Queue): void;
}

/** Store keys: unique across kinds. */
export const queueKey = (name: string): string => `q:${name}`;
export const topicKey = (name: string): string => `t:${name}`;
export const durableKey = (clientId: string, name: string): string => `d:${JSON.stringify([clientId, name])}`;
const sharedKey = (group: string, filter: string): string => `s:${JSON.stringify([group, filter])}`;

/** Topic names whose matching subscriptions are remembered (see Router.matched). */
const MAX_MATCHED_NAMES = 4096;

/**
 * Addresses to containers: anycast names to queues, multicast names to the subscriptions whose
 * filters match them. Destinations are created on first use.
 */
export class Router {
  readonly queues = new Map<string, Queue>();
  readonly topics = new Set<string>();
  readonly temporaries = new Map<string, TemporaryDestination>();
  readonly durables = new Map<string, Subscription>();
  readonly shared = new Map<string, Subscription>();
  readonly subscriptions = new Set<Subscription>();
  private readonly trie = new TopicTrie<Subscription>();
  /**
   * Topic names routed to lately → the subscriptions the trie matches for them, each once: most
   * traffic goes to few names, so the trie is walked once per name, not per message. Emptied
   * whenever a subscription is bound or unbound; the oldest name goes past the bound.
   */
  private readonly matched = new Map<string, Subscription[]>();
  private subscriptionSeq = 0;

  constructor(
    private readonly host: QueueHost,
    private readonly events: RouterEvents,
  ) {}

  /** The queue behind an anycast address, created (and persisted) on first use. */
  queue(address: Address): Queue {
    const existing = this.queues.get(address.name);
    if (existing) return existing;
    this.checkTemporary(address);
    validateAddress(address, false);
    const q = new Queue(queueKey(address.name), { name: address.name, routing: 'anycast' }, 'queue', true, this.host);
    this.queues.set(address.name, q);
    this.events.created(q.key, { kind: 'queue', name: address.name });
    this.events.queueMade(q);
    return q;
  }

  /** Registers a topic name on first use (persisted, so destinations survive restarts). */
  topic(address: Address): void {
    if (this.topics.has(address.name) || this.temporaries.has(address.name)) return;
    this.checkTemporary(address);
    validateAddress(address, false);
    this.topics.add(address.name);
    this.events.created(topicKey(address.name), { kind: 'topic', name: address.name });
  }

  /** Throws for a temporary address that no longer exists. */
  checkTemporary(address: Address): void {
    if (address.temporary && !this.temporaries.has(address.name)) {
      throw new BrokerError('TEMP_DESTINATION_GONE', `temporary destination ${address.name} does not exist`);
    }
  }

  /** The queues a message sent to `to` goes into. */
  targets(to: Address, message: CoreMessage, origin: Origin | undefined): Queue[] {
    if (to.routing === 'anycast') return [this.queue(to)];
    this.topic(to);
    const out: Queue[] = [];
    // A temporary topic is reached by its exact name only, never by wildcard subscriptions.
    const exactOnly = this.temporaries.has(to.name);
    for (const sub of this.subscriptionsMatching(to.name)) {
      if (exactOnly && sub.filter !== to.name) continue;
      if (wantsMessage(sub, origin, () => sub.selector!({ message, deliveryCount: 1 }))) out.push(sub.queue);
    }
    return out;
  }

  private subscriptionsMatching(name: string): Subscription[] {
    const known = this.matched.get(name);
    if (known) return known;
    const subs: Subscription[] = [];
    const seen = new Set<Subscription>();
    this.trie.match(name, (sub) => {
      if (seen.has(sub)) return;
      seen.add(sub);
      subs.push(sub);
    });
    if (this.matched.size >= MAX_MATCHED_NAMES) this.matched.delete(this.matched.keys().next().value!);
    this.matched.set(name, subs);
    return subs;
  }

  bind(sub: Subscription): void {
    this.matched.clear();
    this.trie.add(sub.filter, sub);
    sub.queue.subscription = sub;
    this.subscriptions.add(sub);
    if (sub.durable) this.durables.set(sub.queue.key, sub);
    if (sub.sharedGroup !== undefined && !sub.durable) this.shared.set(sub.queue.key, sub);
  }

  unbind(sub: Subscription): void {
    this.matched.clear();
    this.trie.remove(sub.filter, sub);
    this.subscriptions.delete(sub);
    this.durables.delete(sub.queue.key);
    this.shared.delete(sub.queue.key);
    sub.queue.deleted = true;
  }

  /** A fresh queue for a non-durable subscription (shared ones are keyed by group and filter). */
  subscriptionQueue(filter: Address, sharedGroup?: string): Queue {
    const key = sharedGroup !== undefined ? sharedKey(sharedGroup, filter.name) : `n:${++this.subscriptionSeq}`;
    return new Queue(key, filter, 'subscription', false, this.host);
  }

  durableQueue(clientId: string, name: string, filter: Address): Queue {
    return new Queue(durableKey(clientId, name), filter, 'durable-subscription', true, this.host);
  }

  findShared(group: string, filter: string): Subscription | undefined {
    return this.shared.get(sharedKey(group, filter));
  }

  /** Every queue that holds messages: anycast queues and all subscription queues. */
  *allQueues(): Generator<Queue> {
    yield* this.queues.values();
    for (const s of this.subscriptions) yield s.queue;
  }
}
