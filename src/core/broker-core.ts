import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type {
  BrowsedMessage, BrowseOptions, ConsumerId, Core, Credentials, DeliverySink, Outcome, Principal, SessionOptions, SubscribeOptions,
} from '../spi/core.js';
import { BrokerError, toBrokerError } from '../spi/errors.js';
import { PromiseBatches } from '../spi/promise-batches.js';
import { DEFAULT_PRIORITY, type Address, type CoreMessage, type OutgoingMessage } from '../spi/message.js';
import type { CommitOptions, Store, StoreOp } from '../store/store.js';
import { hasWildcard, validateAddress } from './address-rules.js';
import { StoreBackedState } from './adapter-state.js';
import type { DestinationPolicyEntry } from '../config/config-leaf.js';
import { authenticate, type UserEntry } from './auth.js';
import { Consumer } from './consumer.js';
import { ConsumerGroup } from './consumer-group.js';
import { deadLetterCopy, redriveCopy } from './dead-letter.js';
import { DeliveryScheduler, scheduledDeliveryTime, scheduledRepeatTimes } from './delivery-scheduler.js';
import { DequeueBatch } from './dequeue-batch.js';
import { DestinationPolicies, type DestinationPolicy } from './destination-policies.js';
import { DUPLICATE_ID_SPACE, DuplicateDetector } from './duplicate-detector.js';
import { MemoryGate } from './memory-gate.js';
import { encodeMessage } from './message-codec.js';
import { isExpired, newEntry, recoveredEntry, type QueueEntry } from './queue-entry.js';
import { Queue, type QueueHost, type RemovalCause } from './queue.js';
import { encodeMeta, readRecoveredState, type ContainerMeta } from './recovery.js';
import { RESOLVED } from './resolved.js';
import { durableKey, Router } from './router.js';
import { compileSelector, type Selector } from './selector/index.js';
import type { MessageIdSource, SessionHost } from './session-host.js';
import { Session } from './session.js';
import type { Subscription } from './subscription.js';
import type { Transaction } from './transaction.js';
import { TopicTrie } from './topic-trie.js';

const RELAXED: CommitOptions = { relaxed: true };
/** A browse looks at no more entries than this (a selector matching few of millions would stall the loop). */
const BROWSE_MAX_SCAN = 100_000;

export interface CoreConfig {
  brokerName: string;
  /** Failed deliveries after the first before a message is dead-lettered (ActiveMQ's client default: 6). */
  maxRedeliveries: number;
  deadLetterQueue: string;
  /** Dead-letter non-persistent messages too (ActiveMQ drops them by default). */
  deadLetterNonPersistent: boolean;
  maxMessageBytes: number;
  /** Bytes of message bodies held in memory before producers are slowed. */
  memoryLimitBytes: number;
  expirySweepMs: number;
  /** Most messages one browse returns. */
  browseMaxMessages: number;
  /** Per-destination settings, first match wins. */
  policies: DestinationPolicyEntry[];
  /** Honour AMQ_SCHEDULED_DELAY, _PERIOD and _REPEAT (ActiveMQ: schedulerSupport). */
  scheduledDelivery: boolean;
  /** Most AMQ_SCHEDULED_REPEAT one send may ask for (each repeat is a stored copy). */
  maxScheduledRepeats: number;
  /** How long a `_AMQ_DUPL_ID` is remembered per destination; 0: no duplicate detection. */
  duplicateWindowMs: number;
  /** Most duplicate-detection ids remembered (the oldest are forgotten first). */
  duplicateMaxIds: number;
  users: UserEntry[];
  allowAnonymous: boolean;
}

export interface DestinationStats {
  name: string;
  routing: 'anycast' | 'multicast';
  kind: string;
  depth: number;
  inflight: number;
  consumers: number;
  enqueued: number;
  dequeued: number;
}

export interface CoreStats {
  sessions: number;
  memoryBytes: number;
  destinations: DestinationStats[];
}

type CoreState = 'new' | 'serving' | 'stopped';

/**
 * The broker core: routing, queues, subscriptions, transactions and dead-lettering, behind the
 * adapter-facing interface (src/spi). Knows no protocol.
 */
export class BrokerCore implements Core, SessionHost, QueueHost {
  readonly brokerName: string;
  readonly state: StoreBackedState;
  private readonly router: Router;
  private readonly sessions = new Map<string, Session>();
  private readonly clientIds = new Map<string, Session>();
  private readonly memory: MemoryGate;
  private readonly scheduler = new DeliveryScheduler();
  // An acknowledgement lost with the machine means a redelivery, not a loss: no fsync of its own.
  private readonly dequeues = new DequeueBatch((ops) => this.commitNow(ops, undefined, RELAXED));
  private readonly policies: DestinationPolicies;
  /** What makes committed messages visible: one reaction per group commit (see PromiseBatches). */
  private readonly continuations: PromiseBatches<() => void>;
  private readonly idPrefix: string;
  private lifecycle: CoreState = 'new';
  private nextSession = 1;
  private nextSeq = 1;
  private nextStoreId = 1;
  private sweepTimer: NodeJS.Timeout | undefined;
  private duplicateTimer: NodeJS.Timeout | undefined;
  private visibilityTimer: NodeJS.Timeout | undefined;
  /** Queues with deliveries under a visibility timeout. */
  private readonly visibilityWatched = new Set<Queue>();
  /** Consumers of queue wildcards, by wildcard: queues made later join them. */
  private readonly wildcardGroups = new TopicTrie<ConsumerGroup>();
  private readonly duplicates: DuplicateDetector;

  /**
   * @param fence asked before every dispatch and every session call: false once this process may
   *   no longer serve (an HA node past its lease). The core then hands out and accepts nothing, at
   *   once and synchronously, before the slower, asynchronous step-down closes the connections.
   */
  constructor(
    private readonly config: CoreConfig,
    private readonly store: Store,
    readonly logger: Logger,
    private readonly fence: () => boolean = () => true,
  ) {
    this.brokerName = config.brokerName;
    this.memory = new MemoryGate(config.memoryLimitBytes);
    this.duplicates = new DuplicateDetector({ windowMs: config.duplicateWindowMs, maxIds: config.duplicateMaxIds });
    this.policies = new DestinationPolicies(config.policies, config);
    this.continuations = new PromiseBatches(
      (thens) => {
        for (const then of thens) {
          try {
            then();
          } catch (err) {
            // Its commit is durable, so the send succeeded: a fault in making it visible is a bug.
            this.logger.error({ err }, 'a continuation of a durable store commit failed');
          }
        }
      },
      (_thens, e) => {
        throw toBrokerError(e);
      },
    );
    // Dots would split ids into address levels (temporary destinations are named after them).
    this.idPrefix = `ID:${hostname().replace(/\./g, '-')}-${process.pid}-${Date.now()}`;
    this.state = new StoreBackedState((ops) => this.commitOps(ops));
    this.router = new Router(this, {
      created: (key, meta) => this.persistContainer(key, meta as ContainerMeta),
      queueMade: (q) => this.joinWildcardConsumers(q),
    });
  }

  get serving(): boolean {
    return this.lifecycle === 'serving' && this.store.health().ok && this.fence();
  }

  mayServe(): boolean {
    return this.lifecycle === 'serving' && this.fence();
  }

  /** Throws SHUTDOWN when the core is stopped or fenced off: every session call starts here. */
  assertServing(): void {
    if (!this.mayServe()) throw new BrokerError('SHUTDOWN', 'this broker is no longer serving');
  }

  /** Rebuilds queues, subscriptions and messages from the store, then starts serving. */
  async start(): Promise<void> {
    const recovered = await this.store.open();
    this.state.load(recovered.kv);
    this.duplicates.load(this.state.entries(DUPLICATE_ID_SPACE), Date.now());
    const { containers, maxSeq, maxStoreId } = readRecoveredState(recovered);
    this.nextSeq = maxSeq + 1;
    this.nextStoreId = maxStoreId + 1;
    let messages = 0;
    for (const c of containers) {
      const queue = this.restoreContainer(c.key, c.meta);
      if (!queue) continue;
      for (const e of c.entries) {
        const entry = recoveredEntry(e.stored, e.seq, e.storeId, e.deliveryCount);
        queue.restore(entry);
        this.memory.add(entry.size);
        messages++;
      }
    }
    this.lifecycle = 'serving';
    if (this.config.duplicateWindowMs > 0) {
      this.duplicateTimer = setInterval(() => this.forgetOldIds(), Math.max(1000, this.config.duplicateWindowMs / 4));
      this.duplicateTimer.unref();
    }
    if (this.config.expirySweepMs > 0) {
      this.sweepTimer = setInterval(() => this.sweepExpired(), this.config.expirySweepMs);
      this.sweepTimer.unref();
    }
    const visibility = this.policies.shortestVisibilityTimeoutMs;
    if (visibility > 0) {
      // A tenth of the shortest timeout, within 50 ms–1 s: deliveries come back at most that late.
      const every = Math.min(1000, Math.max(50, Math.floor(visibility / 10)));
      this.visibilityTimer = setInterval(() => this.takeBackOverdue(), every);
      this.visibilityTimer.unref();
    }
    this.logger.info({ containers: containers.length, messages }, 'core recovered');
  }

  private restoreContainer(key: string, meta: ContainerMeta): Queue | undefined {
    switch (meta.kind) {
      case 'queue': {
        const q = new Queue(key, { name: meta.name, routing: 'anycast' }, 'queue', true, this);
        this.router.queues.set(meta.name, q);
        return q;
      }
      case 'topic':
        this.router.topics.add(meta.name);
        return undefined;
      case 'durable': {
        const filter: Address = { name: meta.filter, routing: 'multicast' };
        const queue = this.router.durableQueue(meta.clientId, meta.name, filter);
        this.router.bind({
          queue, filter: meta.filter, selectorText: meta.selector,
          selector: meta.selector ? compileSelector(meta.selector) : undefined,
          noLocal: meta.noLocal, localOrigin: meta.clientId,
          durable: { clientId: meta.clientId, name: meta.name },
        });
        return queue;
      }
    }
  }

  /** Closes every session, then stops. The store is closed by its owner. */
  async stop(): Promise<void> {
    if (this.lifecycle === 'stopped') return;
    this.lifecycle = 'stopped';
    clearInterval(this.sweepTimer);
    clearInterval(this.duplicateTimer);
    clearInterval(this.visibilityTimer);
    this.scheduler.stop();
    const reason = new BrokerError('SHUTDOWN');
    const sessions = [...this.sessions.values()];
    await Promise.all(sessions.map((s) => this.closeSessionFor(s, reason)));
    this.memory.releaseAll();
  }

  async authenticate(credentials: Credentials): Promise<Principal> {
    return authenticate(this.config.users, this.config.allowAnonymous, credentials);
  }

  openSession(options: SessionOptions, sink: DeliverySink): Session {
    if (this.lifecycle !== 'serving') throw new BrokerError('SHUTDOWN', 'the broker is not serving');
    const { clientId } = options;
    if (clientId !== undefined) {
      const holder = this.clientIds.get(clientId);
      if (holder) {
        if (options.clientIdPolicy !== 'takeover') {
          throw new BrokerError('CLIENT_ID_IN_USE', `client id ${clientId} is already connected`);
        }
        this.closeSessionFor(holder, new BrokerError('TAKEOVER')).catch((err: unknown) =>
          this.logger.warn({ err, session: holder.id }, 'could not close a session taken over'));
      }
    }
    const session = new Session(`${this.idPrefix}-${this.nextSession++}:1`, clientId, options.protocol, sink, this);
    this.sessions.set(session.id, session);
    if (clientId !== undefined) this.clientIds.set(clientId, session);
    this.logger.debug({ session: session.id, protocol: options.protocol, remote: options.remoteAddress }, 'session opened');
    return session;
  }

  /** The core ends a session: the adapter hears it through sessionClosed. */
  private async closeSessionFor(session: Session, reason: BrokerError): Promise<void> {
    if (!session.isOpen) return;
    const closing = session.close();
    try {
      session.sink.sessionClosed(reason);
    } catch (err) {
      this.logger.error({ err }, 'adapter failed while its session was closed');
    }
    await closing;
  }

  // ---- SessionHost ----

  completeMessage(to: Address, m: OutgoingMessage, ids: MessageIdSource): CoreMessage {
    if (m.body.length > this.config.maxMessageBytes) {
      throw new BrokerError('MESSAGE_TOO_LARGE', `message body of ${m.body.length} bytes exceeds ${this.config.maxMessageBytes}`);
    }
    const priority = Number.isInteger(m.priority) ? Math.min(9, Math.max(0, m.priority)) : DEFAULT_PRIORITY;
    // Field by field rather than `{ ...m }`: one fixed object shape, several times cheaper than a
    // spread on this hot path. Absent optional fields stay undefined.
    return {
      messageId: m.messageId || ids.newMessageId(),
      address: to,
      body: m.body,
      bodyType: m.bodyType,
      properties: m.properties,
      propertyTypes: m.propertyTypes,
      persistent: m.persistent,
      priority,
      expiration: m.expiration,
      timestamp: m.timestamp || Date.now(),
      correlationId: m.correlationId,
      replyTo: m.replyTo,
      type: m.type,
      contentType: m.contentType,
      groupId: m.groupId,
      groupSeq: m.groupSeq,
      userId: m.userId,
      originalDestination: m.originalDestination,
      native: m.native,
      deliveryTime: m.deliveryTime ?? this.deliveryTimeOf(to, m),
    };
  }

  /** A message's own AMQ_SCHEDULED_DELAY (or _PERIOD), else its destination's delivery delay; undefined: at once. */
  private deliveryTimeOf(to: Address, m: OutgoingMessage): number | undefined {
    if (!this.config.scheduledDelivery && !this.policies.any) return undefined;
    const now = Date.now();
    // Refuses at the send (in a transaction too) the schedules it cannot honour.
    if (this.config.scheduledDelivery) this.checkRepeats(m, now);
    const own = this.config.scheduledDelivery ? scheduledDeliveryTime(m.properties, now) : undefined;
    if (own !== undefined || !this.policies.any) return own;
    const delay = this.policies.of(to.name).deliveryDelayMs;
    return delay > 0 ? now + delay : undefined;
  }

  /**
   * Refuses repeats the broker cannot honour (see scheduledRepeatTimes), and those whose copies
   * would count for more than an eighth of the memory limit: each copy counts its body until it
   * is consumed, so they would hold every producer back.
   */
  private checkRepeats(m: OutgoingMessage, now: number): void {
    const copies = scheduledRepeatTimes(m.properties, now, this.config.maxScheduledRepeats).length + 1;
    if (copies > 1 && copies * m.body.length > this.config.memoryLimitBytes / 8) {
      throw new BrokerError('RESOURCE_LIMIT', `${copies} scheduled copies of ${m.body.length} bytes exceed an eighth of core.memoryLimitBytes`);
    }
  }

  /** Synchronous unless producers must wait for memory or the message for the store. */
  route(to: Address, message: CoreMessage, from: Session): Promise<void> {
    const key = this.duplicates.keyOf(to, message);
    if (key === undefined) return this.routeOnce(to, message, from, []);
    const now = Date.now();
    const first = this.duplicates.duplicateOf(key, now);
    if (first) return first;
    const ops: StoreOp[] = [];
    const seen = this.duplicates.remember(key, now, message.persistent, ops);
    const sent = (seen.done = this.routeOnce(to, message, from, ops));
    sent.catch(() => this.duplicates.release(key, seen));
    return sent;
  }

  private routeOnce(to: Address, message: CoreMessage, from: Session, ops: StoreOp[]): Promise<void> {
    if (this.memory.blocked) return this.routeWhenOpen(to, message, from, ops);
    return this.enqueueTo(to, message, from, ops);
  }

  private async routeWhenOpen(to: Address, message: CoreMessage, from: Session, ops: StoreOp[]): Promise<void> {
    await this.memory.whenOpen();
    if (this.lifecycle !== 'serving') throw new BrokerError('SHUTDOWN');
    await this.enqueueTo(to, message, from, ops);
  }

  private enqueueTo(to: Address, message: CoreMessage, from: Session, ops: StoreOp[]): Promise<void> {
    const repeats = this.withRepeats(message);
    if (!repeats) return this.enqueue(message, this.router.targets(to, message, from), ops);
    return this.enqueueAll(repeats.map((m) => ({ message: m, targets: this.router.targets(to, m, from) })), ops);
  }

  /**
   * A message that asks for repeated delivery (AMQ_SCHEDULED_REPEAT), then one copy per repeat at
   * its time, all stored at the send; undefined if it asks for none. Each copy is a message of its
   * own, as each delivery of ActiveMQ's scheduler is: its own id, and not the producer's encoding
   * (which carries the first one's id, and a JMS client drops a message id it has seen).
   */
  private withRepeats(message: CoreMessage): CoreMessage[] | undefined {
    if (!this.config.scheduledDelivery || message.deliveryTime === undefined) return undefined;
    const times = scheduledRepeatTimes(message.properties, message.deliveryTime, this.config.maxScheduledRepeats);
    if (times.length === 0) return undefined;
    return [message, ...times.map((deliveryTime, k) => ({ ...message, messageId: `${message.messageId}:${k + 1}`, deliveryTime, native: undefined }))];
  }

  /**
   * Puts a message into its target queues. A persistent message is written first (one store
   * commit together with `extraOps`) and becomes visible only once durable; with nothing to write
   * it is visible at once and the shared resolved promise is returned.
   */
  private enqueue(message: CoreMessage, targets: Queue[], extraOps: StoreOp[]): Promise<void> {
    const entries = this.stage(message, targets, extraOps);
    if (extraOps.length === 0) {
      this.publish(targets, entries);
      return RESOLVED;
    }
    return this.commitOps(extraOps, () => this.publish(targets, entries));
  }

  /**
   * One entry per target queue; for a persistent message with a durable target, adds to `ops` the
   * message record and one enqueue record per durable target.
   */
  private stage(message: CoreMessage, targets: Queue[], ops: StoreOp[]): QueueEntry[] {
    let storeId: string | undefined;
    if (message.persistent && targets.some((q) => q.durable)) {
      storeId = String(this.nextStoreId++);
      ops.push({ kind: 'message', id: storeId, data: encodeMessage(message) });
    }
    // Sized up front: a push into an empty array would allocate room for 16.
    const entries = new Array<QueueEntry>(targets.length);
    for (let i = 0; i < targets.length; i++) {
      const q = targets[i]!;
      const entry = newEntry(message, this.nextSeq++, q.durable ? storeId : undefined);
      if (entry.storeId !== undefined) ops.push({ kind: 'enqueue', queue: q.key, id: entry.storeId, seq: entry.seq });
      entries[i] = entry;
    }
    return entries;
  }

  /** Makes staged entries visible in their queues (those deleted meanwhile are skipped). */
  private publish(targets: Queue[], entries: QueueEntry[]): void {
    for (let i = 0; i < targets.length; i++) {
      const q = targets[i]!;
      if (q.deleted) continue;
      this.memory.add(entries[i]!.size);
      q.enqueue(entries[i]!);
    }
  }

  /**
   * Every store commit of the core (the dequeues gathered before it go first, in their order);
   * `then` runs once it is durable.
   */
  private commitOps(ops: StoreOp[], then?: () => void): Promise<void> {
    this.dequeues.flush();
    return this.commitNow(ops, then);
  }

  private commitNow(ops: StoreOp[], then?: () => void, options?: CommitOptions): Promise<void> {
    return this.continuations.add(this.store.commit(ops, options), then);
  }

  /**
   * Redrive: moves up to `max` waiting messages of queue `from` (a dead-letter queue) to `to`, or
   * each to the destination it was first sent to; one atomic store commit per message (its copy
   * in, the original out). Messages in flight, and those with nowhere to go, stay.
   */
  async redrive(from: string, options: { to?: Address; max?: number } = {}): Promise<{ moved: number; failed: number; left: number }> {
    this.assertServing();
    const q = this.router.queues.get(from);
    if (!q) throw new BrokerError('INVALID_ADDRESS', `no queue ${from}`);
    if (options.to) validateAddress(options.to, false);
    const max = options.max ?? Infinity;
    const moving: Promise<void>[] = [];
    for (const e of q.pending.entries()) {
      if (moving.length >= max) break;
      const to = options.to ?? e.message.originalDestination;
      if (!to || to.temporary || (to.routing === 'anycast' && to.name === from)) continue;
      q.pending.remove(e);
      q.dequeued++;
      this.memory.release(e.size);
      const dequeue: StoreOp[] = e.storeId !== undefined ? [{ kind: 'dequeue', queue: q.key, id: e.storeId }] : [];
      const copy = redriveCopy(e.message, to);
      moving.push(this.enqueue(copy, this.router.targets(to, copy, undefined), dequeue).catch((err: unknown) => {
        // Not moved (the store refused): the message stays where it was.
        this.memory.add(e.size);
        q.dequeued--;
        if (!q.deleted) q.pending.insertInOrder(e);
        throw err;
      }));
    }
    const results = await Promise.allSettled(moving);
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length === moving.length && failed.length > 0) throw toBrokerError((failed[0] as PromiseRejectedResult).reason);
    return { moved: moving.length - failed.length, failed: failed.length, left: q.pending.size + q.inflightCount + q.scheduledCount };
  }

  browse(session: Session, from: Address, o: BrowseOptions): BrowsedMessage[] {
    validateAddress(from, false);
    if (from.routing !== 'anycast') throw new BrokerError('INVALID_ADDRESS', 'only queues can be browsed');
    const temp = this.router.temporaries.get(from.name);
    if (temp && temp.ownerSessionId !== session.id) throw new BrokerError('TEMP_DESTINATION_FOREIGN');
    const selector = o.selector?.trim() ? compileSelector(o.selector) : undefined;
    const queue = this.router.queues.get(from.name);
    if (!queue) return [];
    const max = Math.min(o.max ?? Infinity, this.config.browseMaxMessages);
    const now = Date.now();
    const out: BrowsedMessage[] = [];
    let scanned = 0;
    for (const e of queue.pending.entries()) {
      if (out.length >= max || scanned++ >= BROWSE_MAX_SCAN) break;
      const message = e.peek();
      const deliveryCount = e.deliveryCount + 1;
      if (isExpired(message, now) || (selector && !selector({ message, deliveryCount }))) continue;
      out.push({ message, deliveryCount, redelivered: e.redelivered });
    }
    return out;
  }

  async subscribe(session: Session, id: ConsumerId, from: Address, o: SubscribeOptions): Promise<Consumer | ConsumerGroup> {
    validateAddress(from, true);
    const selector = o.selector?.trim() ? compileSelector(o.selector) : undefined;
    const temp = this.router.temporaries.get(from.name);
    if (from.temporary && !temp) throw new BrokerError('TEMP_DESTINATION_GONE', `temporary destination ${from.name} does not exist`);
    if (temp && temp.ownerSessionId !== session.id) throw new BrokerError('TEMP_DESTINATION_FOREIGN');
    // The queue counts the consumer as attaching until Session.subscribe attaches it.
    const consumerFor = (queue: Queue, consumerSelector = selector, reserved = false): Consumer => {
      if (!reserved) queue.attaching++;
      return new Consumer(id, session, queue, from, o.flow, o.autoSettle === true, consumerSelector, o.priority ?? 0, o.exclusive === true, o.revocable !== false);
    };
    if (from.routing === 'anycast') return hasWildcard(from.name) ? this.wildcardConsumer(session, id, from, o, selector) : consumerFor(this.router.queue(from));
    // A wildcard filter is no destination of its own: only concrete names are registered as topics.
    if (!temp && !hasWildcard(from.name)) this.router.topic({ name: from.name, routing: 'multicast' });
    // Topic: the selector is applied at routing, into the subscription's own queue.
    if (o.durableName !== undefined) return consumerFor(await this.durableSubscription(session, from, o, selector), undefined, true);
    if (o.sharedGroup !== undefined) {
      const existing = this.router.findShared(o.sharedGroup, from.name);
      if (existing) return consumerFor(existing.queue, undefined);
    }
    const queue = this.router.subscriptionQueue(from, o.sharedGroup);
    this.router.bind({
      queue, filter: from.name, selectorText: o.selector, selector, noLocal: o.noLocal === true,
      localOrigin: session.id, sharedGroup: o.sharedGroup,
    });
    return consumerFor(queue, undefined);
  }

  /** Finds or creates a durable subscription; a changed filter, selector or noLocal replaces it (JMS). */
  private async durableSubscription(
    session: Session, from: Address, o: SubscribeOptions, selector: Subscription['selector'],
  ): Promise<Queue> {
    const clientId = session.clientId;
    if (clientId === undefined) throw new BrokerError('CLIENT_ID_REQUIRED');
    const name = o.durableName!;
    const key = durableKey(clientId, name);
    const existing = this.router.durables.get(key);
    const noLocal = o.noLocal === true;
    const selectorText = o.selector?.trim() || undefined;
    // Everything up to the store commit is synchronous, so concurrent subscribes see each other.
    const ops: StoreOp[] = [];
    if (existing) {
      const same = existing.filter === from.name && existing.selectorText === selectorText && existing.noLocal === noLocal;
      const inUse = existing.queue.consumers.length + existing.queue.attaching > 0;
      // A shared subscription takes more consumers, but is not replaced under the ones it has.
      if (inUse && (o.sharedGroup === undefined || !same)) {
        throw new BrokerError('SUBSCRIPTION_IN_USE', `durable subscription ${name} already has a consumer`);
      }
      if (same) {
        existing.queue.attaching++;
        return existing.queue;
      }
      this.dropQueue(existing.queue, existing);
      ops.push({ kind: 'queue-delete', queue: key });
    }
    const queue = this.router.durableQueue(clientId, name, { name: from.name, routing: 'multicast' });
    const sub: Subscription = {
      queue, filter: from.name, selectorText, selector, noLocal, localOrigin: clientId,
      durable: { clientId, name }, sharedGroup: o.sharedGroup,
    };
    this.router.bind(sub);
    queue.attaching++;
    const meta: ContainerMeta = { kind: 'durable', clientId, name, filter: from.name, noLocal, ...(selectorText ? { selector: selectorText } : {}) };
    ops.push({ kind: 'queue-put', queue: key, meta: encodeMeta(meta) });
    try {
      await this.commitOps(ops);
    } catch (e) {
      queue.attaching--;
      this.router.unbind(sub);
      throw e;
    }
    return queue;
  }

  /**
   * A consumer of the queues a wildcard names: a member on each that exists now (temporary queues
   * aside), attaching as Session.subscribe attaches a consumer; later ones join as they are made.
   */
  private wildcardConsumer(session: Session, id: ConsumerId, from: Address, o: SubscribeOptions, selector: Selector | undefined): ConsumerGroup {
    const group = new ConsumerGroup(id, session, from, o, selector);
    const matching = new TopicTrie<true>();
    matching.add(from.name, true);
    for (const [name, q] of this.router.queues) {
      if (this.router.temporaries.has(name)) continue;
      matching.match(name, () => {
        if (group.members.has(q)) return;
        q.attaching++;
        group.add(q, this.memberOf(group, q));
      });
    }
    this.wildcardGroups.add(from.name, group);
    return group;
  }

  private memberOf(g: ConsumerGroup, q: Queue): Consumer {
    const o = g.options;
    return new Consumer(g.id, g.owner, q, g.subscription, o.flow, o.autoSettle === true, g.selector, o.priority ?? 0, o.exclusive === true, o.revocable !== false, g);
  }

  /** A new queue joins the wildcard consumers whose wildcard names it (as attaching, if they are). */
  private joinWildcardConsumers(q: Queue): void {
    this.wildcardGroups.match(q.address.name, (g) => {
      if (g.closed || g.members.has(q)) return;
      const member = this.memberOf(g, q);
      g.add(q, member);
      if (g.attached) q.addConsumer(member);
      else q.attaching++;
    });
  }

  /** Closes every member of a wildcard consumer (their unsettled deliveries go back, counted). */
  async closeGroup(g: ConsumerGroup): Promise<void> {
    if (g.closed) return;
    g.closed = true;
    this.wildcardGroups.remove(g.subscription.name, g);
    await Promise.all([...g.members.values()].map((m) => this.closeConsumer(m)));
  }

  async closeConsumer(c: Consumer): Promise<void> {
    if (c.closed) return;
    c.closed = true;
    const q = c.queue;
    q.removeConsumer(c);
    // Unsettled deliveries go back, counted as an attempt (as ActiveMQ does) but never dead-lettered for it.
    const back = c.releaseAll();
    await Promise.all(back.map((e) => q.requeue(e, true, false)));
    const sub = q.subscription;
    if (sub && !sub.durable && q.consumers.length + q.attaching === 0) this.dropQueue(q, sub);
    else q.dispatch();
  }

  async removeDurable(clientId: string, name: string): Promise<void> {
    const sub = this.router.durables.get(durableKey(clientId, name));
    if (!sub) throw new BrokerError('NO_SUCH_SUBSCRIPTION', `no durable subscription ${name} for client ${clientId}`);
    if (sub.queue.consumers.length > 0) throw new BrokerError('SUBSCRIPTION_IN_USE', `durable subscription ${name} has an active consumer`);
    await this.dropDurable(sub);
  }

  private async dropDurable(sub: Subscription): Promise<void> {
    await this.commitOps([{ kind: 'queue-delete', queue: sub.queue.key }]);
    this.dropQueue(sub.queue, sub);
  }

  /** Unbinds a subscription and forgets its messages (the store side is the caller's). */
  private dropQueue(q: Queue, sub: Subscription): void {
    this.router.unbind(sub);
    for (const e of q.pending.entries()) {
      q.pending.remove(e);
      this.memory.release(e.size);
    }
  }

  settleEntry(q: Queue, e: QueueEntry, outcome: Outcome): Promise<void> {
    switch (outcome) {
      case 'accepted': return q.settleConsumed(e);
      case 'rejected': return q.reject(e);
      case 'released': return q.requeue(e, false, false);
      case 'modified': return q.requeue(e, true, true);
    }
  }

  createTemporary(owner: Session, address: Address): void {
    this.router.temporaries.set(address.name, { address, ownerSessionId: owner.id });
    if (address.routing === 'anycast') {
      this.router.queues.set(address.name, new Queue(`tq:${address.name}`, address, 'queue', false, this));
    }
  }

  async deleteTemporary(name: string): Promise<void> {
    const temp = this.router.temporaries.get(name);
    if (!temp) return;
    this.router.temporaries.delete(name);
    const reason = new BrokerError('TEMP_DESTINATION_GONE', `temporary destination ${name} was deleted`);
    const closing: Promise<void>[] = [];
    const notify = (c: Consumer): void => {
      closing.push(this.closeConsumer(c));
      const s = this.sessions.get(c.owner.id);
      s?.consumers.delete(c.id);
      c.owner.sink.consumerClosed(c.id, reason);
    };
    if (temp.address.routing === 'anycast') {
      const q = this.router.queues.get(name);
      this.router.queues.delete(name);
      if (q) {
        q.deleted = true;
        [...q.consumers].forEach(notify);
        for (const e of q.pending.entries()) {
          q.pending.remove(e);
          this.memory.release(e.size);
        }
      }
    } else {
      for (const sub of [...this.router.subscriptions]) if (sub.filter === name) [...sub.queue.consumers].forEach(notify);
    }
    await Promise.all(closing);
  }

  async commit(tx: Transaction, from: Session): Promise<void> {
    try {
      // Sends and consumed settlements go to the store in one atomic commit.
      const ops: StoreOp[] = [];
      const routed = this.uniqueSends(tx, ops).flatMap(({ to, message }) =>
        (this.withRepeats(message) ?? [message]).map((m) => ({ message: m, targets: this.router.targets(to, m, from) })));
      const consumed = tx.settlements.filter((s) => s.outcome === 'accepted');
      for (const s of consumed) if (s.entry.storeId !== undefined) ops.push({ kind: 'dequeue', queue: s.queue.key, id: s.entry.storeId });
      if (routed.length === 0) {
        if (ops.length > 0) await this.commitOps(ops);
      } else {
        await this.enqueueAll(routed, ops);
      }
    } catch (e) {
      // A commit that fails is rolled back (JMS TransactionRolledBackException): what it consumed comes back.
      await this.rollback(tx);
      throw e;
    }
    for (const s of tx.settlements) {
      if (s.outcome === 'accepted') this.consumedInTx(s.queue, s.entry);
      else this.settleEntry(s.queue, s.entry, s.outcome).catch((err: unknown) =>
        this.logger.warn({ err, queue: s.queue.address.name }, 'could not apply a transacted outcome'));
    }
  }

  /**
   * A transaction's sends less those already sent (duplicate detection); the ids of the others are
   * remembered, journaled in the transaction's commit, and forgotten again if it rolls back.
   */
  private uniqueSends(tx: Transaction, ops: StoreOp[]): Transaction['sends'] {
    const now = Date.now();
    const unique: Transaction['sends'] = [];
    for (const send of tx.sends) {
      const key = this.duplicates.keyOf(send.to, send.message);
      if (key !== undefined) {
        if (this.duplicates.duplicateOf(key, now)) continue;
        tx.rememberedIds.push({ key, seen: this.duplicates.remember(key, now, send.message.persistent, ops) });
      }
      unique.push(send);
    }
    return unique;
  }

  /** Writes all of a transaction's messages in one store commit, then makes them visible. */
  private async enqueueAll(routed: Array<{ message: CoreMessage; targets: Queue[] }>, ops: StoreOp[]): Promise<void> {
    const staged = routed.map(({ message, targets }) => ({ targets, entries: this.stage(message, targets, ops) }));
    if (ops.length > 0) await this.commitOps(ops);
    for (const { targets, entries } of staged) this.publish(targets, entries);
  }

  private consumedInTx(q: Queue, e: QueueEntry): void {
    q.inflightCount--;
    q.dequeued++;
    this.memory.release(e.size);
  }

  async rollback(tx: Transaction): Promise<void> {
    for (const { key, seen } of tx.rememberedIds) this.duplicates.release(key, seen);
    // A rolled-back receive is a failed attempt: redelivered, counted, dead-lettered past the maximum.
    await Promise.all(tx.settlements.map((s) => s.queue.requeue(s.entry, true, true)));
  }

  sessionClosed(s: Session): void {
    this.sessions.delete(s.id);
    if (s.clientId !== undefined && this.clientIds.get(s.clientId) === s) this.clientIds.delete(s.clientId);
  }

  // ---- QueueHost ----

  dequeued(q: Queue, e: QueueEntry): Promise<void> {
    this.memory.release(e.size);
    if (e.storeId === undefined) return RESOLVED;
    return this.dequeues.add(q.key, e.storeId);
  }

  async deadLetter(q: Queue, e: QueueEntry, cause: RemovalCause): Promise<void> {
    const dequeue: StoreOp[] = e.storeId !== undefined ? [{ kind: 'dequeue', queue: q.key, id: e.storeId }] : [];
    this.memory.release(e.size);
    q.dequeued++;
    const inDlq = q.kind === 'queue' && this.policies.isDeadLetterQueue(q.address.name);
    const keep = !inDlq && (e.message.persistent || this.config.deadLetterNonPersistent);
    this.logger.debug({ queue: q.address.name, messageId: e.message.messageId, cause, kept: keep }, 'dead-lettering');
    if (!keep) {
      if (dequeue.length > 0) await this.commitOps(dequeue);
      return;
    }
    const dlq = this.policyOf(q).deadLetterQueue;
    const copy = deadLetterCopy(e.message, dlq, cause);
    await this.enqueue(copy, [this.router.queue(dlq)], dequeue);
  }

  private forgetOldIds(): void {
    const ops = this.duplicates.sweep(Date.now());
    if (ops.length > 0) this.commitOps(ops).catch((err: unknown) => this.logger.warn({ err }, 'could not forget old duplicate-detection ids'));
  }

  policyOf(q: Queue): DestinationPolicy {
    return this.policies.of(q.address.name);
  }

  schedule(q: Queue, e: QueueEntry, at: number): void {
    this.scheduler.add(at, q, e);
  }

  watchVisibility(q: Queue): void {
    this.visibilityWatched.add(q);
  }

  /** Visibility timeout: puts back what consumers left unsettled too long. */
  takeBackOverdue(now = Date.now()): void {
    if (!this.mayServe()) return;
    for (const q of this.visibilityWatched) if (!q.takeBackOverdue(now)) this.visibilityWatched.delete(q);
  }

  deliveryCounted(q: Queue, e: QueueEntry): void {
    if (e.storeId === undefined) return;
    this.commitOps([{ kind: 'delivery-count', queue: q.key, id: e.storeId, count: e.deliveryCount }]).catch((err: unknown) =>
      this.logger.warn({ err, queue: q.address.name }, 'could not persist a delivery count'));
  }

  // ---- housekeeping ----

  private persistContainer(key: string, meta: ContainerMeta): void {
    this.commitOps([{ kind: 'queue-put', queue: key, meta: encodeMeta(meta) }]).catch((err: unknown) =>
      this.logger.warn({ err, key }, 'could not persist a destination'));
  }

  /** Moves expired pending messages out of every queue (dispatch also checks at hand-over). */
  sweepExpired(now = Date.now()): void {
    for (const q of this.router.allQueues()) {
      q.dropPastRetention(now);
      for (const e of q.takeExpired(now)) {
        this.deadLetter(q, e, 'expired').catch((err: unknown) => this.logger.warn({ err }, 'could not dead-letter an expired message'));
      }
    }
  }

  stats(): CoreStats {
    const destinations: DestinationStats[] = [];
    for (const q of this.router.allQueues()) {
      destinations.push({
        name: q.kind === 'queue' ? q.address.name : q.key,
        routing: q.address.routing,
        kind: q.kind,
        depth: q.depth,
        inflight: q.inflightCount,
        consumers: q.consumers.length,
        enqueued: q.enqueued,
        dequeued: q.dequeued,
      });
    }
    for (const name of this.router.topics) {
      destinations.push({ name, routing: 'multicast', kind: 'topic', depth: 0, inflight: 0, consumers: 0, enqueued: 0, dequeued: 0 });
    }
    return { sessions: this.sessions.size, memoryBytes: this.memory.bytes, destinations };
  }
}

