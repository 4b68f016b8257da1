import { BrokerError, type Address, type TxId } from '../../../src/spi/index.js';
import { binaryField, describedList, DESCRIPTOR, descriptorOf, listFields } from '../codec.js';
import { amqpErrorOf, CONDITION, isUnexpected, type AmqpError } from '../errors.js';
import { decodeMessage, kindOfAddress, kindOfCapabilities, parseAddress, qualifiedAddress } from '../mapping.js';
import { answerDetach, outcome, refuseLink, types, type EngineContext, type EngineDelivery, type EngineReceiver, type Typed } from '../rhea-engine.js';
import type { LinkContext, LinkHandler, TransferFacts } from './context.js';
import { CreditWindow } from './credit-window.js';

/**
 * A link the peer sends messages on: its target is a queue or topic, a dynamic (temporary) node,
 * or none at all (the anonymous relay: each message's `to` names its destination).
 *
 * At-least-once: the accepted outcome goes back once the core has the message (durable when
 * persistent); failures come back as rejected with the core's error. Presettled transfers are
 * sent to the core the same way, with nothing to answer. Credit: a window (CreditWindow).
 */

/** Room for sections around the body when bounding the size of an assembled message. */
export const MESSAGE_OVERHEAD_BYTES = 64 * 1024;

function transactionalState(txnId: Buffer, inner: Typed): Typed {
  return describedList(DESCRIPTOR.transactionalState, [types.wrap_binary(txnId), inner]);
}

/** The txn-id of a transfer's transactional-state, if it has one. */
function txnIdOf(facts: TransferFacts): Buffer | undefined {
  if (!facts.state || descriptorOf(facts.state) !== DESCRIPTOR.transactionalState) return undefined;
  return binaryField(listFields(facts.state)[0]) ?? Buffer.alloc(0);
}

export class ReceiverLink implements LinkHandler {
  private target: Address | undefined;
  private dynamicNode: Address | undefined;
  private closed = false;
  private readonly window: CreditWindow;

  constructor(private readonly ctx: LinkContext, readonly link: EngineReceiver) {
    this.window = new CreditWindow(link, ctx.config.producerCredit);
    ctx.listen(link, 'message', (c) => this.onMessage(c));
  }

  /** Answers the attach (rhea sends it on its next pass) and grants credit. */
  open(): void {
    const attach = this.link.remote.attach!;
    const target = attach.target;
    let address: string | null = null;
    try {
      if (target?.dynamic) {
        const kind = kindOfCapabilities(target.capabilities);
        this.target = this.dynamicNode = this.ctx.session.createTemporary(kind === 'topic' || kind === 'temporary-topic' ? 'multicast' : 'anycast');
        address = qualifiedAddress(this.target);
      } else if (target?.address) {
        this.target = parseAddress(target.address, kindOfCapabilities(target.capabilities));
        address = target.address;
      }
    } catch (e) {
      this.ctx.log.debug({ err: e, link: this.link.name }, 'producer link refused');
      this.closed = true;
      refuseLink(this.link, amqpErrorOf(e));
      this.ctx.linkClosed(this);
      return;
    }
    this.link.set_target({
      address,
      durable: target?.durable ?? 0,
      expiry_policy: target?.dynamic ? 'link-detach' : (target?.expiry_policy ?? 'session-end'),
      dynamic: target?.dynamic === true,
      capabilities: this.target ? [kindOfAddress(this.target)] : undefined,
    });
    this.link.local.attach.rcv_settle_mode = 0;
    this.link.local.attach.max_message_size = this.ctx.config.maxMessageBytes + MESSAGE_OVERHEAD_BYTES;
    this.window.open();
  }

  private onMessage(context: EngineContext): void {
    const delivery = context.delivery!;
    const facts = this.ctx.takeTransfer();
    this.window.taken();
    if (facts.overCredit) {
      this.finish(delivery, outcome.released(), undefined);
      this.closeWith({ condition: CONDITION.transferLimitExceeded, description: 'transfer without link credit' });
      return;
    }
    if (facts.aborted) {
      // Discarded by the sender (spec 2.7.5): nothing to route, nothing to answer.
      delivery.update(true);
      this.window.done();
      return;
    }
    let txnId: Buffer | undefined;
    try {
      txnId = txnIdOf(facts);
      const tx: TxId | undefined = txnId ? this.ctx.transactions.txOf(txnId) : undefined;
      if (facts.oversized) throw new BrokerError('MESSAGE_TOO_LARGE', 'the message exceeds the maximum size');
      if (facts.format !== 0) {
        this.finish(delivery, outcome.rejected({ condition: CONDITION.notImplemented, description: `message format ${facts.format} is not supported` }), txnId);
        return;
      }
      const { message, to } = decodeMessage(context.message!, Date.now());
      const address = this.target ?? (to ? parseAddress(to.address, to.kind) : undefined);
      if (!address) throw new BrokerError('INVALID_ADDRESS', 'the link has no target and the message no to address');
      // A presettled transfer leaves rhea's buffer now; the core still paces the credit.
      if (delivery.remote_settled) delivery.update(true);
      this.ctx.session.send(address, message, tx).then(
        () => this.finish(delivery, outcome.accepted(), txnId),
        (e: unknown) => this.reject(delivery, e, txnId),
      ).catch((e: unknown) => this.ctx.log.warn({ err: e }, 'answering a transfer failed'));
    } catch (e) {
      this.reject(delivery, e, txnId);
    }
  }

  private reject(delivery: EngineDelivery, e: unknown, txnId: Buffer | undefined): void {
    const error: AmqpError = amqpErrorOf(e);
    if (isUnexpected(e)) this.ctx.log.warn({ err: e, link: this.link.name }, 'message not accepted');
    else this.ctx.log.debug({ err: e, link: this.link.name }, 'message rejected');
    this.finish(delivery, outcome.rejected(error), txnId);
  }

  private finish(delivery: EngineDelivery, state: Typed, txnId: Buffer | undefined): void {
    if (!this.closed && !delivery.remote_settled) delivery.update(true, txnId ? transactionalState(txnId, state) : state);
    this.window.done();
  }

  private closeWith(error: AmqpError): void {
    if (this.closed) return;
    this.closed = true;
    this.link.close(error);
    this.dropDynamicNode();
    this.ctx.linkClosed(this);
  }

  private dropDynamicNode(): void {
    if (!this.dynamicNode) return;
    this.ctx.session.deleteTemporary(this.dynamicNode).catch((e: unknown) => this.ctx.log.debug({ err: e }, 'temporary destination already gone'));
  }

  detached(closed: boolean, answer = true): void {
    if (this.closed) return;
    this.closed = true;
    if (answer) answerDetach(this.link, closed);
    this.dropDynamicNode();
    this.ctx.linkClosed(this);
  }

  dispose(): void {
    this.closed = true;
  }
}
