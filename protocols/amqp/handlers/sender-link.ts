import {
  BrokerError,
  type Address, type ConsumerId, type Delivery, type DeliveryId, type Outcome, type SettleOptions, type SubscribeOptions,
} from '../../../src/spi/index.js';
import { described, DESCRIPTOR } from '../codec.js';
import { amqpErrorOf, isUnexpected } from '../errors.js';
import { encodeMessage, kindOfAddress, kindOfCapabilities, parseAddress, qualifiedAddress } from '../mapping.js';
import {
  answerDetach, answerHeldDetach, completeDrain, DRAIN_RETRY_MS, holdDetachAnswer, holdLocalAttach, refuseLink, types,
  type EngineDelivery, type EngineSender, type RemoteAttach, type RemoteTerminus,
} from '../rhea-engine.js';
import type { ConsumerLink, LinkContext } from './context.js';
import { isDurableSource, sourceFilters, TERMINUS_DURABILITY } from './terminus.js';

/**
 * A link on which the broker sends (the peer's receiver): one core consumer.
 *
 * Credit: the peer's flow sets a limit (its delivery-count + link-credit); the core consumer gets
 * what is left of it after what we already handed to rhea, so rhea never holds a delivery it
 * has no credit for. Drain: the core gives back its unused credit, and once rhea has put out
 * what it holds we consume the rest by advancing the delivery-count and answer with a flow.
 *
 * Durable topic subscriptions as Qpid JMS and ActiveMQ make them: the link name is the
 * subscription name within the container-id; a durable or never-expiring source asks for one;
 * a detach with closed=true removes it; an attach without a source looks it up (how Qpid JMS
 * unsubscribes). What a subscription was made with is kept in the core's adapter state.
 */

const DURABLE_SPACE = 'amqp.durable-subscriptions';

interface DurableRecord {
  address: string;
  selector?: string;
  noLocal?: boolean;
}

type LinkState = 'attaching' | 'open' | 'closed';

/** Outcomes the peer may use on our deliveries (advertised in the source). */
const OUTCOMES = ['amqp:accepted:list', 'amqp:rejected:list', 'amqp:released:list', 'amqp:modified:list'];

/** The delivery tag: the core's delivery id, unique within the connection (8 bytes, big-endian). */
function tagOf(id: DeliveryId): Buffer {
  const tag = Buffer.allocUnsafe(8);
  tag.writeUInt32BE(Math.floor(id / 0x1_0000_0000), 0);
  tag.writeUInt32BE(id >>> 0, 4);
  return tag;
}

export class SenderLink implements ConsumerLink {
  private state: LinkState = 'attaching';
  private consumer: ConsumerId | undefined;
  private durableName: string | undefined;
  private dynamicNode: Address | undefined;
  private autoSettle = false;
  /** Deliveries handed to rhea, and delivery-count advanced by drains. */
  private handed = 0;
  private advanced = 0;
  /** Credit the core consumer holds, as we account for it. */
  private coreCredit = 0;
  private drainRequested = false;
  private drainTimer: NodeJS.Timeout | undefined;
  private readonly unsettled = new WeakMap<EngineDelivery, DeliveryId>();

  constructor(private readonly ctx: LinkContext, readonly link: EngineSender) {
    holdLocalAttach(link);
    ctx.listen(link, 'sender_flow', () => this.onFlow());
    ctx.listen(link, 'sender_draining', () => this.onDrainRequested());
    ctx.listen(link, 'accepted', (c) => this.onOutcome(c.delivery!, 'accepted'));
    ctx.listen(link, 'rejected', (c) => this.onOutcome(c.delivery!, 'rejected'));
    ctx.listen(link, 'released', (c) => this.onOutcome(c.delivery!, 'released'));
    ctx.listen(link, 'modified', (c) => this.onOutcome(c.delivery!, this.modifiedOutcome(c.delivery!)));
    // Settled without an outcome: the source's default, which we take as accepted (as ActiveMQ).
    ctx.listen(link, 'settled', (c) => this.onOutcome(c.delivery!, 'accepted'));
  }

  /** Subscribes, then answers the attach (or refuses it). */
  async open(): Promise<void> {
    const attach = this.link.remote.attach!;
    let echo: Record<string, unknown>;
    try {
      const source = this.sourceOf(attach);
      const { address, options, echo: sourceEcho } = this.plan(attach, source);
      const consumer = await this.ctx.session.subscribe(address, options);
      this.consumer = consumer;
      if (this.state === 'closed') {
        // The peer detached while the core was subscribing.
        await this.release(false);
        return;
      }
      this.ctx.registerConsumer(consumer, this);
      if (this.durableName !== undefined) await this.rememberDurable(source, address);
      echo = sourceEcho;
    } catch (e) {
      this.log(e, 'consumer link refused');
      if (this.state !== 'closed') refuseLink(this.link, amqpErrorOf(e));
      this.state = 'closed';
      await this.release(false);
      return;
    }
    this.link.set_source(echo);
    this.link.set_target({ address: attach.target?.address ?? null });
    this.link.local.attach.snd_settle_mode = this.autoSettle ? 1 : 0;
    this.link.local.attach.rcv_settle_mode = 0;
    this.link.open();
    this.state = 'open';
    // Our attach goes out on rhea's next pass; transfers must not overtake it.
    await new Promise((resolve) => setImmediate(resolve));
    this.syncCredit();
  }

  /** The source to consume from: the peer's, or for a sourceless attach the durable subscription it names. */
  private sourceOf(attach: RemoteAttach): RemoteTerminus {
    const source = attach.source;
    if (source && (source.address || source.dynamic)) return source;
    const record = this.durableRecord(attach.name);
    if (!record) throw new BrokerError('NO_SUCH_SUBSCRIPTION', `no durable subscription ${attach.name}`);
    const filter: Record<string, unknown> = {};
    if (record.selector !== undefined) filter['jms-selector'] = described(DESCRIPTOR.selectorFilter, types.wrap_string(record.selector));
    if (record.noLocal) filter['no-local'] = described(DESCRIPTOR.noLocalFilter, types.wrap_list([]));
    return { address: record.address, durable: TERMINUS_DURABILITY.unsettledState, expiry_policy: 'never', filter, capabilities: ['topic'] };
  }

  private plan(attach: RemoteAttach, source: RemoteTerminus): { address: Address; options: SubscribeOptions; echo: Record<string, unknown> } {
    const kind = kindOfCapabilities(source.capabilities);
    let address: Address;
    if (source.dynamic) {
      address = this.ctx.session.createTemporary(kind === 'topic' || kind === 'temporary-topic' ? 'multicast' : 'anycast');
      this.dynamicNode = address;
    } else {
      address = parseAddress(source.address!, kind);
    }
    const filters = sourceFilters(source);
    const durable = address.routing === 'multicast' && !address.temporary && isDurableSource(source);
    if (durable) this.durableName = attach.name;
    this.autoSettle = attach.snd_settle_mode === 1;
    const options: SubscribeOptions = {
      flow: { kind: 'credit', initial: 0 },
      ...(filters.selector !== undefined ? { selector: filters.selector } : {}),
      ...(filters.noLocal ? { noLocal: true } : {}),
      ...(durable ? { durableName: attach.name } : {}),
      ...(this.autoSettle ? { autoSettle: true } : {}),
    };
    const echo: Record<string, unknown> = {
      address: source.dynamic ? qualifiedAddress(address) : source.address,
      durable: source.durable ?? TERMINUS_DURABILITY.none,
      expiry_policy: source.dynamic ? 'link-detach' : (source.expiry_policy ?? 'session-end'),
      timeout: source.timeout ?? 0,
      dynamic: source.dynamic === true,
      filter: Object.keys(filters.echo).length > 0 ? filters.echo : undefined,
      distribution_mode: address.routing === 'anycast' ? 'move' : undefined,
      outcomes: OUTCOMES,
      capabilities: [kindOfAddress(address)],
    };
    return { address, options, echo };
  }

  private durableKey(name: string): string | undefined {
    const clientId = this.ctx.clientId;
    return clientId === undefined ? undefined : JSON.stringify([clientId, name]);
  }

  private durableRecord(name: string): DurableRecord | undefined {
    const key = this.durableKey(name);
    const bytes = key === undefined ? undefined : this.ctx.state.get(DURABLE_SPACE, key);
    if (!bytes) return undefined;
    try {
      return JSON.parse(Buffer.from(bytes).toString('utf8')) as DurableRecord;
    } catch {
      return undefined;
    }
  }

  private async rememberDurable(source: RemoteTerminus, address: Address): Promise<void> {
    const key = this.durableKey(this.durableName!);
    if (key === undefined) return;
    const filters = sourceFilters(source);
    const record: DurableRecord = {
      address: qualifiedAddress(address),
      ...(filters.selector !== undefined ? { selector: filters.selector } : {}),
      ...(filters.noLocal ? { noLocal: true } : {}),
    };
    await this.ctx.state.put(DURABLE_SPACE, key, Buffer.from(JSON.stringify(record)));
  }

  // ---- core → peer ----

  deliver(delivery: Delivery): void {
    this.coreCredit--;
    if (this.state === 'closed') {
      // In flight while the link went: back to the queue, not counted as an attempt.
      if (!this.autoSettle) void this.ctx.session.settle(delivery.consumerId, delivery.id, 'released').catch(() => undefined);
      return;
    }
    let payload: Buffer;
    try {
      payload = encodeMessage(delivery.message, delivery.deliveryCount);
    } catch (e) {
      // A message we cannot encode is poison for every AMQP consumer.
      this.ctx.log.warn({ err: e, messageId: delivery.message.messageId }, 'cannot encode a message for AMQP; dead-lettering it');
      if (!this.autoSettle) void this.ctx.session.settle(delivery.consumerId, delivery.id, 'rejected').catch(() => undefined);
      this.syncCredit();
      return;
    }
    const sent = this.link.send(payload, tagOf(delivery.id), 0);
    this.handed++;
    if (!this.autoSettle) this.unsettled.set(sent, delivery.id);
    this.ctx.deliveryQueued(this.link.session);
  }

  // ---- peer → core ----

  private onFlow(): void {
    this.drainRequested = false;
    this.syncCredit();
  }

  /** Brings the core consumer's credit to what the peer's last flow allows. */
  private syncCredit(): void {
    if (this.state !== 'open' || this.consumer === undefined) return;
    const allowed = Math.max(0, this.link.credit + this.link.delivery_count - (this.handed + this.advanced));
    const diff = allowed - this.coreCredit;
    if (diff === 0) return;
    if (diff < 0) {
      this.ctx.session.drain(this.consumer);
      this.coreCredit = 0;
      if (allowed === 0) return;
    }
    const grant = allowed - this.coreCredit;
    // Before addCredit: the core may deliver (and we count down) within the call.
    this.coreCredit = allowed;
    this.ctx.session.addCredit(this.consumer, grant);
  }

  private onDrainRequested(): void {
    if (this.state !== 'open' || this.consumer === undefined) return;
    this.drainRequested = true;
    this.ctx.session.drain(this.consumer);
    this.coreCredit = 0;
    clearTimeout(this.drainTimer);
    setImmediate(() => this.finishDrain());
  }

  private finishDrain(): void {
    if (this.state !== 'open' || !this.drainRequested) return;
    const held = this.handed - (this.link.delivery_count - this.advanced);
    if (held > 0) {
      this.drainTimer = setTimeout(() => this.finishDrain(), DRAIN_RETRY_MS);
      return;
    }
    this.drainRequested = false;
    try {
      this.advanced += completeDrain(this.link);
    } catch (e) {
      this.closeWith(e);
    }
  }

  private modifiedOutcome(d: EngineDelivery): Outcome {
    // As ActiveMQ: undeliverable-here is poison; delivery-failed counts the attempt.
    const state = d.remote_state;
    if (state?.undeliverable_here) return 'rejected';
    return state?.delivery_failed ? 'modified' : 'released';
  }

  private onOutcome(delivery: EngineDelivery, outcome: Outcome): void {
    const id = this.unsettled.get(delivery);
    if (id === undefined || this.consumer === undefined) return;
    this.unsettled.delete(delivery);
    let options: SettleOptions | undefined;
    const txnId = this.ctx.txnOfDelivery(delivery);
    if (txnId) {
      try {
        options = { tx: this.ctx.transactions.txOf(txnId) };
      } catch (e) {
        this.closeWith(e);
        return;
      }
    }
    this.ctx.session.settle(this.consumer, id, outcome, options).catch((e: unknown) => this.log(e, 'settlement failed'));
    if (!delivery.remote_settled) delivery.update(true);
    this.ctx.deliveriesSettled();
  }

  // ---- ends ----

  detached(closed: boolean, answer = true): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    // Removing a durable subscription is answered once done (Qpid JMS's unsubscribe returns then).
    const removing = closed && this.durableName !== undefined;
    if (answer && removing) holdDetachAnswer(this.link);
    else if (answer) answerDetach(this.link, closed);
    this.stopTimers();
    if (this.consumer !== undefined) this.ctx.session.drain(this.consumer);
    // Outcomes that came in just before the detach are handled on rhea's next pass: settle
    // them before the consumer goes (its unsettled deliveries would count as failed).
    setImmediate(() => {
      void this.release(closed).then((failure) => {
        if (answer && removing) answerHeldDetach(this.link, failure === undefined ? undefined : amqpErrorOf(failure));
      });
    });
  }

  closedByCore(reason: unknown): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    // The core has closed the consumer already.
    if (this.consumer !== undefined) this.ctx.unregisterConsumer(this.consumer);
    this.consumer = undefined;
    this.stopTimers();
    this.link.close(amqpErrorOf(reason));
    void this.release(false);
  }

  /** The connection is gone: the core session's close releases the consumer. */
  dispose(): void {
    this.state = 'closed';
    this.stopTimers();
  }

  private stopTimers(): void {
    clearTimeout(this.drainTimer);
  }

  private closeWith(e: unknown): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.stopTimers();
    this.link.close(amqpErrorOf(e));
    void this.release(false);
  }

  /**
   * Gives the consumer back to the core (unsettled deliveries return to the queue), and removes
   * the durable subscription when asked. Resolves with the failure, if any.
   */
  private async release(removeDurable: boolean): Promise<unknown> {
    const consumer = this.consumer;
    this.consumer = undefined;
    try {
      if (consumer !== undefined) {
        this.ctx.unregisterConsumer(consumer);
        await this.ctx.session.unsubscribe(consumer);
      }
      if (removeDurable && this.durableName !== undefined) {
        await this.ctx.session.removeDurable(this.durableName);
        const key = this.durableKey(this.durableName);
        if (key !== undefined) await this.ctx.state.delete(DURABLE_SPACE, key);
      }
      if (this.dynamicNode) await this.ctx.session.deleteTemporary(this.dynamicNode);
      return undefined;
    } catch (e) {
      this.log(e, 'consumer link cleanup failed');
      return e;
    } finally {
      this.ctx.linkClosed(this);
    }
  }

  private log(e: unknown, msg: string): void {
    if (isUnexpected(e)) this.ctx.log.warn({ err: e, link: this.link.name }, msg);
    else this.ctx.log.debug({ err: e, link: this.link.name }, msg);
  }
}
