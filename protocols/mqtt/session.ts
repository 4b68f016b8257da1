import type { Logger } from 'pino';
import type { QoS } from 'mqtt-packet';
import {
  isBrokerError, PromiseBatches, toBrokerError, type BrokerError, type ConsumerId, type Core, type CoreMessage, type CoreSession, type Delivery,
  type DeliveryId, type DeliverySink, type Outcome, type Principal,
} from '../../src/spi/index.js';
import type { MqttConfig } from './config.js';
import {
  decodeStoredPublish, encodeStoredPublish, mqttTopicOf, publishedQos, publisherOf, storedToCore, wasRetained,
  type StoredPublish,
} from './message-mapping.js';
import type { InflightRecord, RecoveredSession, SessionRecord, SessionStore, StoredSubscription } from './session-store.js';
import { SHARE_PREFIX, filterMatches, mqttToCoreName, parseTopicFilter, type TopicFilter } from './topic-mapping.js';

const RESOLVED: Promise<void> = Promise.resolve();
const NOTHING = (): void => {};

/** What a session needs of the connection currently attached to it. */
export interface SessionLink {
  /** How many QoS 1/2 PUBLISHes may be unacknowledged: the client's Receive Maximum, capped by ours. */
  readonly sendQuota: number;
  /** False while the socket is above its high-water mark. */
  readonly writable: boolean;
  /** Writes a PUBLISH; false if it exceeds the client's Maximum Packet Size and was dropped [MQTT-3.1.2-25]. */
  writePublish(item: Outbound, dup: boolean): boolean;
  writePubrel(packetId: number): void;
  /** The core ended the session under the connection (takeover, shutdown, store failure). */
  sessionLost(reason: BrokerError): void;
}

export interface SessionHost {
  readonly core: Core;
  readonly config: MqttConfig;
  readonly store: SessionStore;
  readonly logger: Logger;
  /** The core closed this session: forget it, keeping its persisted state. */
  sessionLost(session: MqttSession): void;
  /** The session has QoS 1 deliveries without in-flight records: call recordInflight on the next ticks. */
  needsRecording(session: MqttSession): void;
}

/** A message on its way to the client: queued, then in flight until acknowledged. */
export interface Outbound {
  /** Undefined only for an in-flight record recovered after a restart, until the core redelivers it. */
  message: CoreMessage | undefined;
  /** The core consumer and delivery to settle; consumer 0 for a retained message (not the core's). */
  consumer: ConsumerId;
  delivery: DeliveryId;
  qos: QoS;
  retain: boolean;
  subscriptionIds: number[] | undefined;
  packetId: number;
  state: 'queued' | 'published' | 'released';
  seq: number;
  /** Its in-flight record is written (persistent sessions; see recordInflight). */
  recorded: boolean;
  /** When a QoS 1 delivery was sent, ms. */
  sentAt: number;
  /** The retained message behind a retained delivery (persisted with its in-flight record). */
  stored?: StoredPublish;
}

export interface SubscriptionOptions {
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
  id: number | undefined;
}

interface Subscription extends SubscriptionOptions {
  readonly filter: TopicFilter;
  /** The core consumer; 0 while being created or while a shared subscription's session is offline. */
  consumer: ConsumerId;
  durable: boolean;
}

/** Message ids remembered at most for overlapping subscriptions (with the copies still to come). */
const MAX_DEDUPE_ENTRIES = 4096;

/**
 * One MQTT session: its core session, subscriptions, queued and in-flight messages and inbound
 * QoS 2 state. It outlives connections: a persistent session is parked (no link) between them,
 * still receiving into its bounded queue.
 *
 * Delivery. Non-shared subscriptions are core consumers with unbounded flow: the core hands
 * messages over as they come and the session keeps one FIFO for all of them, bounded by count and
 * bytes (`maxQueuedMessages`, `maxQueuedBytes`). The FIFO drains into the link while its socket
 * is writable and, for QoS 1/2, while fewer than the client's Receive Maximum are in flight
 * [MQTT-3.3.4-9]. Online, a full FIFO turns the core's delivery off (CoreSession.setWritable)
 * until it is half empty: a slow subscriber pushes back into the core's queues, whose memory
 * limit slows producers, and loses nothing. Offline (a parked persistent session) the bound is
 * kept by the overflow policy `queueOverflow`: the oldest waiting message, or the new one, is
 * dropped (settled as consumed) — a core window could not bound an offline queue. Deliveries are
 * settled `accepted` when QoS 0 ones are written and on PUBACK / PUBCOMP otherwise. Shared
 * subscriptions use a core window instead, so the core balances the group by readiness.
 *
 * Overlapping subscriptions [MQTT-3.3.5-1]. The core puts one copy into each matching
 * subscription. The first copy to arrive is sent, with the highest QoS of all matching
 * subscriptions and all their identifiers [MQTT-3.3.4-4]; the later copies are settled unsent
 * (tracked by message id, in a bounded map, only when more than one subscription matches).
 * Shared subscriptions deliver independently.
 */
export class MqttSession implements DeliverySink {
  core!: CoreSession;
  link: SessionLink | null = null;
  closed = false;
  /** A connection holds the session (from CONNECT until the connection is released). */
  connected = false;
  /** When the offline session expires; null: never, or connected. */
  deadline: number | null = null;
  /** Messages dropped by the overflow policy or for exceeding the client's Maximum Packet Size. */
  dropped = 0;
  private readonly subs = new Map<string, Subscription>();
  private readonly byConsumer = new Map<ConsumerId, Subscription>();
  private early: Map<ConsumerId, Delivery[]> | undefined;
  private queue: Outbound[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private readonly inflight = new Map<number, Outbound>();
  private settlements: PromiseBatches<never> | undefined;
  /** In-flight records recovered after a restart, by message id, until the core redelivers them. */
  private unbound: Map<string, Outbound> | undefined;
  /** Inbound QoS 2 packet ids held until PUBREL: resolves once the message is durable and the id recorded. */
  private readonly inbound = new Map<number, Promise<void>>();
  private dedupe: Map<string, number> | undefined;
  private nextPacketId = 1;
  private nextSeq = 1;
  private overlapping = false;
  private noLocalCount = 0;
  private control: Promise<unknown> = Promise.resolve();
  private pumping = false;
  private awaitingRecords = false;
  private intakeOpen = true;
  /** QoS 1 deliveries in flight without a record yet. */
  private unrecorded = 0;

  private constructor(
    readonly clientId: string,
    private readonly host: SessionHost,
    readonly principal: Principal,
    public expirySeconds: number,
  ) {}

  /** Opens the core session (taking the client id over from any holder). Throws BrokerError. */
  static open(host: SessionHost, clientId: string, principal: Principal, remoteAddress: string, expirySeconds: number): MqttSession {
    const session = new MqttSession(clientId, host, principal, expirySeconds);
    session.core = host.core.openSession(
      { principal, protocol: 'mqtt', clientId, clientIdPolicy: 'takeover', remoteAddress },
      session,
    );
    return session;
  }

  get persistent(): boolean {
    return this.expirySeconds > 0;
  }

  get subscriptionCount(): number {
    return this.subs.size;
  }

  hasSubscription(raw: string): boolean {
    return this.subs.has(raw);
  }

  get queuedCount(): number {
    return this.queue.length - this.queueHead;
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Runs control operations (subscribe, unsubscribe, restore, end) one at a time. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.control.then(work, work);
    this.control = run.catch(() => undefined);
    return run;
  }

  // ---- recovery ----

  /** Rebuilds a persisted session after a restart: subscriptions, in-flight and inbound QoS 2 state. */
  restore(recovered: RecoveredSession, maxTopicLevels: number): Promise<void> {
    return this.serial(async () => {
      const record = recovered.record!;
      for (const filter of record.removing ?? []) await this.removeDurable(filter);
      this.unbound = new Map();
      const now = Date.now();
      for (const r of recovered.inflight) {
        const item = this.outboundOf(r, now);
        this.inflight.set(r.packetId, item);
        if (!item.message) this.unbound.set(r.messageId, item);
        this.nextSeq = Math.max(this.nextSeq, r.seq + 1);
      }
      for (const packetId of recovered.inbound) this.inbound.set(packetId, Promise.resolve());
      for (const stored of record.subscriptions) {
        const filter = parseTopicFilter(stored.filter, maxTopicLevels);
        if (typeof filter === 'string') continue;
        const { filter: _f, ...options } = stored;
        const sub: Subscription = { ...options, id: stored.id, filter, consumer: 0, durable: false };
        this.subs.set(filter.raw, sub);
        if (filter.sharedGroup === undefined) await this.openConsumer(sub);
      }
      // A new consumer's deliveries start on the next macrotask (CoreSession.subscribe) and, with
      // unbounded flow, the core then hands over all it holds. After that, a record whose message
      // did not come back was completed before the stop.
      await new Promise((resolve) => setImmediate(resolve));
      for (const item of [...this.inflight.values()]) if (!item.message && item.state !== 'released') this.forget(item);
      this.unbound = undefined;
      if (record.removing) await this.saveRecord(null);
    });
  }

  /** Clean start over a persisted session that is not in memory: remove its durable subscriptions and records. */
  discardPersisted(recovered: RecoveredSession): Promise<void> {
    return this.serial(async () => {
      const record = recovered.record;
      const durable = (record?.subscriptions ?? []).map((s) => s.filter).filter((f) => !f.startsWith(SHARE_PREFIX));
      for (const filter of [...(record?.removing ?? []), ...durable]) await this.removeDurable(filter);
      const store = this.host.store;
      await Promise.all([
        ...recovered.inflight.map((r) => store.deleteInflight(this.clientId, r.packetId)),
        ...recovered.inbound.map((packetId) => store.deleteInbound(this.clientId, packetId)),
        ...(record ? [store.deleteSession(this.clientId)] : []),
      ]);
    });
  }

  private outboundOf(r: InflightRecord, now: number): Outbound {
    const item: Outbound = {
      message: undefined, consumer: 0, delivery: 0, qos: r.qos, retain: r.retain, subscriptionIds: r.subscriptionIds,
      packetId: r.packetId, state: r.state, seq: r.seq, recorded: true, sentAt: 0,
    };
    if (r.retained !== undefined) {
      item.stored = decodeStoredPublish(Buffer.from(r.retained, 'base64'));
      item.message = retainedMessage(item.stored, now);
    }
    return item;
  }

  // ---- connections ----

  /** A connection takes the session: resend what is unacknowledged, then deliver. */
  attach(link: SessionLink): void {
    this.link = link;
    // Unacknowledged PUBLISH (DUP = 1) and PUBREL, with their packet ids, in order [MQTT-4.4.0-1].
    for (const item of [...this.inflight.values()]) {
      if (item.state === 'released') link.writePubrel(item.packetId);
      else if (item.message && !link.writePublish(item, true)) this.complete(item);
    }
    const offline = [...this.subs.values()].filter((s) => s.consumer === 0 && s.filter.sharedGroup !== undefined);
    if (offline.length > 0) void this.serial(async () => {
      for (const sub of offline) if (this.subs.get(sub.filter.raw) === sub && sub.consumer === 0) await this.openConsumer(sub);
    }).catch((err: unknown) => this.host.logger.warn({ err, clientId: this.clientId }, 'could not reopen shared subscriptions'));
    this.pump();
  }

  /**
   * The connection is gone; the session stays (persistent) until it expires. Shared
   * subscriptions stop taking messages while offline: what they hold goes back to the group.
   */
  detach(link: SessionLink): void {
    if (this.link !== link) return;
    this.link = null;
    this.setIntake(true); // offline, the overflow policy bounds the queue instead
    for (const sub of this.subs.values()) {
      if (sub.filter.sharedGroup === undefined || sub.consumer === 0) continue;
      const consumer = sub.consumer;
      for (const item of [...this.inflight.values()]) if (item.consumer === consumer) this.forget(item);
      this.serial(() => this.closeConsumer(sub)).catch((err: unknown) =>
        this.host.logger.warn({ err, clientId: this.clientId }, 'could not close a shared subscription'));
    }
    void this.recordAll();
  }

  // ---- subscriptions ----

  /** Adds or replaces a subscription [MQTT-3.8.4-3]; `existed` tells Retain Handling 1 what to do. */
  subscribe(filter: TopicFilter, options: SubscriptionOptions): Promise<{ existed: boolean }> {
    return this.serial(async () => {
      const existing = this.subs.get(filter.raw);
      if (existing && existing.noLocal === options.noLocal) {
        Object.assign(existing, options);
        this.recount();
        await this.saveRecord(null);
        if (existing.consumer === 0) await this.openConsumer(existing);
        return { existed: true };
      }
      if (existing) await this.closeConsumer(existing);
      const sub: Subscription = { ...options, filter, consumer: 0, durable: false };
      this.subs.set(filter.raw, sub);
      await this.saveRecord(null);
      await this.openConsumer(sub);
      return { existed: existing !== undefined };
    });
  }

  /** Removes a subscription; false if there was none [MQTT-3.10.4-5]. */
  unsubscribe(raw: string): Promise<boolean> {
    return this.serial(async () => {
      const sub = this.subs.get(raw);
      if (!sub) return false;
      this.subs.delete(raw);
      this.recount();
      if (sub.durable) await this.saveRecord([raw]);
      await this.closeConsumer(sub);
      if (sub.durable) await this.removeDurable(raw);
      await this.saveRecord(null);
      return true;
    });
  }

  private async openConsumer(sub: Subscription): Promise<void> {
    const shared = sub.filter.sharedGroup !== undefined;
    const durable = this.persistent && !shared;
    const consumer = await this.core.subscribe(
      { name: mqttToCoreName(sub.filter.filter), routing: 'multicast' },
      {
        noLocal: sub.noLocal,
        revocable: false,
        ...(durable ? { durableName: sub.filter.raw } : {}),
        ...(shared ? { sharedGroup: sub.filter.sharedGroup } : {}),
        flow: shared ? { kind: 'window', size: this.link?.sendQuota ?? this.host.config.maxInflightMessages } : { kind: 'unbounded' },
      },
    );
    const early = this.early?.get(consumer);
    this.early?.delete(consumer);
    if (this.subs.get(sub.filter.raw) !== sub || this.closed) {
      await this.core.unsubscribe(consumer).catch(() => undefined);
      return;
    }
    sub.consumer = consumer;
    sub.durable = durable;
    this.byConsumer.set(consumer, sub);
    this.recount();
    if (early) for (const d of early) this.take(sub, d);
    this.pump();
  }

  private async closeConsumer(sub: Subscription): Promise<void> {
    const consumer = sub.consumer;
    if (consumer === 0) return;
    sub.consumer = 0;
    this.byConsumer.delete(consumer);
    this.recount();
    this.unqueue(consumer);
    // Its unsettled deliveries go back to the core's queue (or to another member of a share group).
    await this.core.unsubscribe(consumer).catch((err: unknown) => this.ignore(err, 'NO_SUCH_CONSUMER'));
  }

  private async removeDurable(filter: string): Promise<void> {
    await this.core.removeDurable(filter).catch((err: unknown) => this.ignore(err, 'NO_SUCH_SUBSCRIPTION'));
  }

  private recount(): void {
    let nonShared = 0;
    this.noLocalCount = 0;
    for (const s of this.subs.values()) {
      if (s.consumer === 0 || s.filter.sharedGroup !== undefined) continue;
      nonShared++;
      if (s.noLocal) this.noLocalCount++;
    }
    this.overlapping = nonShared > 1;
  }

  /** The session's durable state (persistent sessions only). */
  saveRecord(removing: string[] | null): Promise<void> {
    if (!this.persistent) return Promise.resolve();
    const record: SessionRecord = {
      expirySeconds: this.expirySeconds,
      connected: this.connected,
      deadline: this.deadline,
      principal: { name: this.principal.name, anonymous: this.principal.anonymous },
      subscriptions: [...this.subs.values()].map(storedSubscriptionOf),
      ...(removing ? { removing } : {}),
    };
    return this.host.store.saveSession(this.clientId, record);
  }

  // ---- DeliverySink ----

  deliver(d: Delivery): void {
    const sub = this.byConsumer.get(d.consumerId);
    if (!sub) {
      // Not expected (the core starts deliveries after subscribe() resolves), but never lost.
      this.early ??= new Map();
      const list = this.early.get(d.consumerId);
      if (list) list.push(d);
      else this.early.set(d.consumerId, [d]);
      return;
    }
    this.take(sub, d);
  }

  consumerClosed(consumer: ConsumerId, reason: BrokerError): void {
    const sub = this.byConsumer.get(consumer);
    this.host.logger.info({ clientId: this.clientId, filter: sub?.filter.raw, reason: reason.code }, 'the core closed an MQTT subscription');
    if (!sub) return;
    sub.consumer = 0;
    this.byConsumer.delete(consumer);
    this.subs.delete(sub.filter.raw);
    this.recount();
    this.unqueue(consumer);
    this.saveRecord(null).catch((err: unknown) => this.logStoreError(err));
  }

  sessionClosed(reason: BrokerError): void {
    if (this.closed) return;
    this.closed = true;
    const link = this.link;
    this.link = null;
    link?.sessionLost(reason);
    this.host.sessionLost(this);
  }

  private take(sub: Subscription, d: Delivery): void {
    const m = d.message;
    const recovered = this.unbound?.get(m.messageId);
    if (recovered) {
      this.unbound!.delete(m.messageId);
      recovered.message = m;
      recovered.consumer = d.consumerId;
      recovered.delivery = d.id;
      return;
    }
    let qos: QoS = sub.qos;
    let ids = sub.id !== undefined ? [sub.id] : undefined;
    let retainAsPublished = sub.retainAsPublished;
    if (this.overlapping && sub.filter.sharedGroup === undefined) {
      const all = this.matching(m);
      if (all.length > 1) {
        if (this.isLaterCopy(m.messageId, all.length)) {
          this.settleDelivery(d.consumerId, d.id, 'accepted');
          return;
        }
        qos = Math.max(...all.map((s) => s.qos)) as QoS;
        const withIds = all.filter((s) => s.id !== undefined).map((s) => s.id!);
        ids = withIds.length > 0 ? withIds : undefined;
        retainAsPublished = all.some((s) => s.retainAsPublished);
      }
    }
    this.enqueue({
      message: m, consumer: d.consumerId, delivery: d.id, qos: Math.min(qos, publishedQos(m)) as QoS,
      retain: retainAsPublished && wasRetained(m), subscriptionIds: ids, packetId: 0, state: 'queued', seq: 0, recorded: false, sentAt: 0,
    });
  }

  /** The session's non-shared subscriptions that received a copy of `m`. */
  private matching(m: CoreMessage): Subscription[] {
    const topic = mqttTopicOf(m).split('/');
    const local = this.noLocalCount > 0 && publisherOf(m) === this.clientId;
    const out: Subscription[] = [];
    for (const s of this.subs.values()) {
      if (s.consumer === 0 || s.filter.sharedGroup !== undefined || (local && s.noLocal)) continue;
      if (filterMatches(s.filter.levels, topic)) out.push(s);
    }
    return out;
  }

  private isLaterCopy(messageId: string, copies: number): boolean {
    this.dedupe ??= new Map();
    const remaining = this.dedupe.get(messageId);
    if (remaining !== undefined) {
      if (remaining <= 1) this.dedupe.delete(messageId);
      else this.dedupe.set(messageId, remaining - 1);
      return true;
    }
    this.dedupe.set(messageId, copies - 1);
    if (this.dedupe.size > MAX_DEDUPE_ENTRIES) this.dedupe.delete(this.dedupe.keys().next().value!);
    return false;
  }

  /** Queues the retained messages for a new subscription, flagged retain [MQTT-3.3.1-8]. */
  deliverRetained(messages: StoredPublish[], options: SubscriptionOptions): void {
    const now = Date.now();
    for (const stored of messages) {
      this.enqueue({
        message: retainedMessage(stored, now), consumer: 0, delivery: 0, qos: Math.min(stored.qos, options.qos) as QoS,
        retain: true, subscriptionIds: options.id !== undefined ? [options.id] : undefined, packetId: 0, state: 'queued', seq: 0,
        recorded: false, sentAt: 0, stored,
      });
    }
    this.pump();
  }

  // ---- the queue and the pump ----

  /**
   * Queues a message for the client. Online, a full queue is backpressure: the core stops
   * delivering to this session (its messages wait in the core's subscription queues, and the
   * core's memory limit slows producers) until the queue is half empty. Offline, the overflow
   * policy applies: drop the oldest waiting message, or the new one.
   */
  private enqueue(item: Outbound): void {
    const bytes = item.message!.body.length;
    const { maxQueuedMessages, maxQueuedBytes, queueOverflow } = this.host.config;
    if (this.link) {
      if (this.queuedCount + 1 >= maxQueuedMessages || this.queuedBytes + bytes >= maxQueuedBytes) this.setIntake(false);
    } else {
      while (this.queuedCount >= maxQueuedMessages || (this.queuedCount > 0 && this.queuedBytes + bytes > maxQueuedBytes)) {
        if (queueOverflow === 'drop-newest') {
          this.drop(item);
          return;
        }
        this.drop(this.shift()!);
      }
    }
    this.queue.push(item);
    this.queuedBytes += bytes;
    this.pump();
  }

  /** Whether the core may deliver to this session (false: the online queue is full). */
  private setIntake(open: boolean): void {
    if (this.intakeOpen === open || this.closed) return;
    this.intakeOpen = open;
    this.core.setWritable(open);
  }

  private shift(): Outbound | undefined {
    if (this.queueHead >= this.queue.length) return undefined;
    const item = this.queue[this.queueHead]!;
    this.queue[this.queueHead++] = undefined as unknown as Outbound;
    this.queuedBytes -= item.message!.body.length;
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    return item;
  }

  /** Forgets queued items of a consumer being closed (the core takes their deliveries back). */
  private unqueue(consumer: ConsumerId): void {
    const kept = this.queue.slice(this.queueHead).filter((i) => i.consumer !== consumer);
    this.queue = kept;
    this.queueHead = 0;
    this.queuedBytes = kept.reduce((n, i) => n + i.message!.body.length, 0);
  }

  private drop(item: Outbound): void {
    this.dropped++;
    this.settle(item, 'accepted');
  }

  /** Moves queued messages to the link while it is writable and the client's quota allows. */
  pump(): void {
    const link = this.link;
    if (!link || this.pumping || this.awaitingRecords) return;
    this.pumping = true;
    let held: Outbound[] | undefined;
    let records: Promise<void>[] | undefined;
    try {
      const now = Date.now();
      while (this.link === link && this.queueHead < this.queue.length && link.writable) {
        const item = this.queue[this.queueHead]!;
        if (item.qos > 0 && this.inflight.size >= link.sendQuota) break;
        this.shift();
        const m = item.message!;
        if (m.expiration > 0 && m.expiration <= now) {
          this.settle(item, 'accepted');
          continue;
        }
        if (item.qos > 0) this.startInflight(item, now, (saved) => (records ??= []).push(saved));
        if (held) held.push(item);
        else if (records) held = [item];
        else this.write(link, item);
      }
    } finally {
      this.pumping = false;
    }
    if (!this.intakeOpen) {
      const { maxQueuedMessages, maxQueuedBytes } = this.host.config;
      if (this.queuedCount <= maxQueuedMessages >> 1 && this.queuedBytes <= maxQueuedBytes / 2) this.setIntake(true);
    }
    if (held) this.writeWhenDurable(held, records!);
  }

  /**
   * QoS 2 deliveries of a persistent session are written only once their in-flight record is
   * durable, so a restart resends them with the same packet id and never as a new message;
   * what follows them waits too, to keep the order.
   */
  private writeWhenDurable(held: Outbound[], records: Promise<void>[]): void {
    this.awaitingRecords = true;
    Promise.all(records).then(
      () => {
        this.awaitingRecords = false;
        const link = this.link;
        if (!link) {
          // Gone meanwhile: QoS 1/2 ones are in flight (resent on attach), QoS 0 ones wait again.
          const waiting = held.filter((i) => i.qos === 0);
          this.queue.splice(this.queueHead, 0, ...waiting);
          for (const i of waiting) this.queuedBytes += i.message!.body.length;
          return;
        }
        for (const item of held) if (item.qos === 0 || this.inflight.get(item.packetId) === item) this.write(link, item);
        this.pump();
      },
      (err: unknown) => {
        this.awaitingRecords = false;
        this.logStoreError(err);
        this.link?.sessionLost(toBrokerError(err));
      },
    );
  }

  /**
   * Puts a delivery in flight. A persistent session's QoS 2 delivery is recorded (durably)
   * before it is written. A QoS 1 record waits for the shared timer: most deliveries are
   * acknowledged first and never cost a write; one still unacknowledged after a tick is recorded
   * then, and all of them when the connection goes. After a crash, a QoS 1 delivery younger than
   * a tick comes back from the core as a new PUBLISH (new packet id, DUP 0): QoS 1 allows that
   * duplicate. QoS 2 never resends without its record.
   */
  private startInflight(item: Outbound, now: number, awaitRecord: (saved: Promise<void>) => void): void {
    item.packetId = this.allocatePacketId();
    item.state = 'published';
    item.seq = this.nextSeq++;
    this.inflight.set(item.packetId, item);
    if (!this.persistent) return;
    if (item.qos === 2) {
      awaitRecord(this.record(item));
      return;
    }
    item.sentAt = now;
    if (this.unrecorded++ === 0) this.host.needsRecording(this);
  }

  private record(item: Outbound): Promise<void> {
    if (!item.recorded && item.qos === 1) this.unrecorded--;
    item.recorded = true;
    return this.host.store.saveInflight(this.clientId, recordOf(item));
  }

  /**
   * Records the QoS 1 deliveries in flight since `cutoff` or earlier (every one with Infinity);
   * true when none is left unrecorded.
   */
  recordInflight(cutoff: number): boolean {
    if (this.unrecorded === 0 || !this.persistent) return true;
    for (const item of this.inflight.values()) {
      if (item.recorded || item.sentAt > cutoff) continue;
      this.record(item).catch((err: unknown) => this.logStoreError(err));
    }
    return this.unrecorded === 0;
  }

  /** Drops an in-flight delivery and its record. */
  private forget(item: Outbound): void {
    if (this.inflight.get(item.packetId) !== item) return;
    this.inflight.delete(item.packetId);
    if (item.recorded) this.host.store.deleteInflight(this.clientId, item.packetId).catch((err: unknown) => this.logStoreError(err));
    else if (item.qos === 1 && this.persistent) this.unrecorded--;
  }

  private write(link: SessionLink, item: Outbound): void {
    const sent = link.writePublish(item, false);
    if (!sent) {
      this.dropped++;
      if (item.qos > 0) this.complete(item);
      else this.settle(item, 'accepted');
      return;
    }
    if (item.qos === 0) this.settle(item, 'accepted');
  }

  private allocatePacketId(): number {
    for (let i = 0; i < 65535; i++) {
      const id = this.nextPacketId;
      this.nextPacketId = id === 65535 ? 1 : id + 1;
      if (!this.inflight.has(id)) return id;
    }
    throw new Error('no free packet identifier');
  }

  // ---- acknowledgements from the client ----

  /** PUBACK: a QoS 1 delivery is complete; false for an id not in flight as QoS 1. */
  puback(packetId: number): boolean {
    const item = this.inflight.get(packetId);
    if (!item || item.qos !== 1) return false;
    this.complete(item);
    return true;
  }

  /**
   * PUBREC: `release` means answer with PUBREL (also for a repeated PUBREC) once `durable`
   * resolves; `unknown` for an id not in flight; `done` when the client refused the message
   * (reason ≥ 0x80 ends the flow). The released state is durable before PUBREL goes out: after a
   * crash the new active must resend PUBREL, never the PUBLISH, or a client that already forgot
   * the packet id would take the message as new (a QoS 2 duplicate).
   */
  pubrec(packetId: number, refused: boolean): { outcome: 'release' | 'unknown' | 'done'; durable: Promise<void> } {
    const item = this.inflight.get(packetId);
    if (!item || item.qos !== 2) return { outcome: 'unknown', durable: RESOLVED };
    if (refused) {
      this.complete(item);
      return { outcome: 'done', durable: RESOLVED };
    }
    if (item.state === 'published') {
      item.state = 'released';
      if (this.persistent) return { outcome: 'release', durable: this.record(item) };
    }
    return { outcome: 'release', durable: RESOLVED };
  }

  /** PUBCOMP: QoS 2 delivered; false for an id not awaiting PUBCOMP. */
  pubcomp(packetId: number): boolean {
    const item = this.inflight.get(packetId);
    if (!item || item.state !== 'released') return false;
    this.complete(item);
    return true;
  }

  private complete(item: Outbound): void {
    // Settled before the in-flight record goes: the core's acknowledgement is a relaxed (unsynced)
    // store commit, and a record removal committed after it makes it durable too; the other way
    // round a crash could keep the message but lose its record, and a QoS 2 message come back.
    this.settle(item, 'accepted');
    this.forget(item);
    this.pump();
  }

  private settle(item: Outbound, outcome: Outcome): void {
    if (item.consumer !== 0) this.settleDelivery(item.consumer, item.delivery, outcome);
  }

  private settleDelivery(consumer: ConsumerId, delivery: DeliveryId, outcome: Outcome): void {
    if (this.closed) return;
    // Settlements of one tick share the core's promise: one handler for all of them.
    (this.settlements ??= new PromiseBatches<never>(NOTHING, (_, err) => {
      // A consumer closed meanwhile (unsubscribe, offline shared subscription) took its deliveries back.
      if (!isBrokerError(err) || (err.code !== 'NO_SUCH_CONSUMER' && err.code !== 'NO_SUCH_DELIVERY' && err.code !== 'SESSION_CLOSED')) {
        this.host.logger.warn({ err, clientId: this.clientId }, 'could not settle an MQTT delivery');
      }
    })).add(this.core.settle(consumer, delivery, outcome));
  }

  // ---- inbound QoS 2 ----

  get inboundCount(): number {
    return this.inbound.size;
  }

  /** An inbound QoS 2 packet id held (until PUBREL), or undefined. */
  inboundOf(packetId: number): Promise<void> | undefined {
    return this.inbound.get(packetId);
  }

  /**
   * Holds an inbound QoS 2 packet id while its message is routed (`routed` resolves once it is
   * durable), then records it so that a resent PUBLISH is not routed again [MQTT-4.3.3-10].
   */
  receiveQos2(packetId: number, routed: Promise<void>): Promise<void> {
    const entry = routed.then(() => (this.persistent ? this.host.store.saveInbound(this.clientId, packetId) : undefined));
    this.inbound.set(packetId, entry);
    entry.catch(() => {
      if (this.inbound.get(packetId) === entry) this.inbound.delete(packetId);
    });
    return entry;
  }

  /** PUBREL: forgets the packet id once its message is durable; false if it was not held (or failed). */
  async release(packetId: number): Promise<boolean> {
    const entry = this.inbound.get(packetId);
    if (!entry) return false;
    try {
      await entry;
    } catch {
      return false; // its PUBREC carried the error
    }
    if (this.inbound.get(packetId) !== entry) return true; // a repeated PUBREL got here first
    this.inbound.delete(packetId);
    if (this.persistent) await this.host.store.deleteInbound(this.clientId, packetId);
    return true;
  }

  // ---- the end ----

  /** Ends the session for good: subscriptions, queued messages and every persisted trace. */
  end(): Promise<void> {
    return this.serial(async () => {
      if (this.closed) return;
      this.closed = true;
      this.link = null;
      const subs = [...this.subs.values()];
      this.subs.clear();
      this.recount();
      for (const sub of subs) {
        await this.core.unsubscribe(sub.consumer).catch(() => undefined);
        if (sub.durable) await this.removeDurable(sub.filter.raw);
      }
      const store = this.host.store;
      const writes: Promise<void>[] = [];
      for (const item of this.inflight.values()) if (item.recorded) writes.push(store.deleteInflight(this.clientId, item.packetId));
      for (const packetId of this.inbound.keys()) writes.push(store.deleteInbound(this.clientId, packetId));
      if (this.persistent || subs.some((s) => s.durable)) writes.push(store.deleteSession(this.clientId));
      this.inflight.clear();
      this.inbound.clear();
      await Promise.all(writes).catch((err: unknown) => this.logStoreError(err));
      await this.core.close();
    });
  }

  /** Closes the core session and keeps the persisted state (broker shutdown, step-down). */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.link = null;
    await this.recordAll();
    this.closed = true;
    await this.core.close();
  }

  /** Records every in-flight delivery still without a record (the connection is gone). */
  recordAll(): Promise<void> {
    if (this.unrecorded === 0 || !this.persistent) return Promise.resolve();
    const saves = [...this.inflight.values()].filter((i) => !i.recorded && i.qos === 1).map((i) => this.record(i));
    return Promise.all(saves).then(() => undefined, (err: unknown) => this.logStoreError(err));
  }

  private ignore(err: unknown, code: string): void {
    if (!isBrokerError(err) || err.code !== code) throw err;
  }

  private logStoreError(err: unknown): void {
    this.host.logger.warn({ err, clientId: this.clientId }, 'could not write MQTT session state');
  }
}

function storedSubscriptionOf(s: Subscription): StoredSubscription {
  const out: StoredSubscription = {
    filter: s.filter.raw, qos: s.qos, noLocal: s.noLocal, retainAsPublished: s.retainAsPublished, retainHandling: s.retainHandling,
  };
  if (s.id !== undefined) out.id = s.id;
  return out;
}

function recordOf(item: Outbound): InflightRecord {
  const r: InflightRecord = {
    packetId: item.packetId, seq: item.seq, qos: item.qos as 1 | 2, state: item.state === 'released' ? 'released' : 'published',
    messageId: item.message?.messageId ?? '', retain: item.retain,
  };
  if (item.subscriptionIds) r.subscriptionIds = item.subscriptionIds;
  if (item.stored) r.retained = Buffer.from(encodeStoredPublish(item.stored)).toString('base64');
  return r;
}

/** A retained message as a core message (it is delivered without passing through the core). */
export function retainedMessage(stored: StoredPublish, now: number): CoreMessage {
  return { ...storedToCore(stored, now), address: { name: mqttToCoreName(stored.topic), routing: 'multicast' } };
}
