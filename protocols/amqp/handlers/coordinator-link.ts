import { amqpValueOf, binaryField, booleanField, describedList, DESCRIPTOR, descriptorOf, listFields } from '../codec.js';
import { amqpErrorOf, CONDITION, isUnexpected } from '../errors.js';
import { answerDetach, outcome, types, type EngineContext, type EngineDelivery, type EngineReceiver, type Typed } from '../rhea-engine.js';
import type { LinkContext, LinkHandler } from './context.js';
import { CreditWindow } from './credit-window.js';

/**
 * The transaction coordinator (spec 4.4): a link whose target is the coordinator. A `declare`
 * message begins a core transaction and is answered with `declared` (the txn-id); a `discharge`
 * commits it, or rolls it back with fail=true, and is answered with accepted (or rejected:
 * unknown-id, or rollback when the commit failed). Transactions still open when the link goes
 * are rolled back.
 */

export const LOCAL_TRANSACTIONS = 'amqp:local-transactions';
/** Declares and discharges a client may have in flight. */
const COORDINATOR_CREDIT = 100;

export class CoordinatorLink implements LinkHandler {
  private closed = false;
  private readonly window: CreditWindow;

  constructor(private readonly ctx: LinkContext, readonly link: EngineReceiver) {
    this.window = new CreditWindow(link, COORDINATOR_CREDIT);
    ctx.listen(link, 'message', (c) => this.onMessage(c));
  }

  open(): void {
    this.link.local.attach.target = describedList(DESCRIPTOR.coordinator, [types.wrap_symbol(LOCAL_TRANSACTIONS)]);
    this.link.local.attach.rcv_settle_mode = 0;
    this.window.open();
  }

  private onMessage(context: EngineContext): void {
    const delivery = context.delivery!;
    this.ctx.takeTransfer();
    this.window.taken();
    let request: Typed | undefined;
    try {
      request = amqpValueOf(context.message!);
    } catch {
      request = undefined;
    }
    const code = descriptorOf(request);
    if (code === DESCRIPTOR.declare) {
      let txnId: Buffer;
      try {
        txnId = this.ctx.transactions.declare(this);
      } catch (e) {
        this.answer(delivery, outcome.rejected(amqpErrorOf(e)));
        return;
      }
      this.answer(delivery, describedList(DESCRIPTOR.declared, [types.wrap_binary(txnId)]));
    } else if (code === DESCRIPTOR.discharge) {
      const fields = listFields(request!);
      const fail = booleanField(fields[1]) === true;
      // Dispositions that came before the discharge reach us on rhea's next pass: after it.
      new Promise((resolve) => setImmediate(resolve)).then(() => this.ctx.transactions.discharge(binaryField(fields[0]), fail)).then(
        () => this.answer(delivery, outcome.accepted()),
        (e: unknown) => {
          if (isUnexpected(e)) this.ctx.log.warn({ err: e }, 'transaction discharge failed');
          const error = amqpErrorOf(e);
          // A commit that failed rolled the transaction back (spec 4.4.4.1).
          const condition = error.condition === CONDITION.unknownTransaction ? error.condition : CONDITION.transactionRollback;
          this.answer(delivery, outcome.rejected({ ...error, condition }));
        },
      ).catch((e: unknown) => this.ctx.log.warn({ err: e }, 'answering a discharge failed'));
    } else {
      this.answer(delivery, outcome.rejected({ condition: CONDITION.decodeError, description: 'expected a declare or discharge' }));
    }
  }

  private answer(delivery: EngineDelivery, state: Typed): void {
    if (!this.closed && !delivery.remote_settled) delivery.update(true, state);
    this.window.done();
  }

  detached(closed: boolean, answer = true): void {
    if (this.closed) return;
    this.closed = true;
    if (answer) answerDetach(this.link, closed);
    this.ctx.transactions.rollbackAll(this).catch((e: unknown) => this.ctx.log.debug({ err: e }, 'rollback of an abandoned transaction failed'));
    this.ctx.linkClosed(this);
  }

  dispose(): void {
    this.closed = true;
  }
}
