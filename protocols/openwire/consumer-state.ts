import { isBrokerError, type ConsumerId as CoreConsumerId, type CoreSession, type DeliveryId } from '../../src/spi/index.js';
import type { ConsumerInfo } from './codec/commands.js';

/** One message dispatched to a consumer and not yet settled, keyed by its broker sequence id. */
export interface DispatchRecord {
  readonly coreConsumer: CoreConsumerId;
  readonly deliveryId: DeliveryId;
  /** Counts against the prefetch window (not DELIVERED-acked, not acked inside an open transaction). */
  counted: boolean;
  /** Acknowledged inside this open transaction (settled at commit, restored at rollback). */
  txKey?: string;
}

/**
 * A JMS consumer's broker-side state: the core consumers behind it (one, or one per part of a
 * composite destination), the messages dispatched to it in dispatch order, and its prefetch
 * window, turned into core credit: credit = prefetch − outstanding (ActiveMQ's
 * PrefetchSubscription: DELIVERED acks extend the window, consuming acks free it). Prefetch 0
 * is pull mode: one credit per MessagePull.
 */
export class ConsumerState {
  /** Dispatched, unsettled; insertion order = dispatch order = ascending sequence. */
  readonly records = new Map<number, DispatchRecord>();
  readonly coreIds: CoreConsumerId[] = [];
  /** Core credit granted and not yet used, per core consumer, as this side counts it. */
  private readonly credit = new Map<CoreConsumerId, number>();
  private outstanding = 0;
  prefetch: number;
  /** A MessagePull waiting for a message. */
  pullWaiting = false;
  pullTimer: NodeJS.Timeout | undefined;
  closed = false;
  /** This consumer's encoded MessageDispatch up to the message (for patched dispatches). */
  dispatchPrefix: Buffer | undefined;

  constructor(
    readonly key: string,
    readonly sessionKey: string,
    readonly info: ConsumerInfo,
    private readonly session: CoreSession,
  ) {
    this.prefetch = Math.max(0, info.prefetchSize);
  }

  /** The credit a new core consumer starts with. */
  initialCredit(): number {
    return this.prefetch;
  }

  attach(coreId: CoreConsumerId, credit: number): void {
    this.coreIds.push(coreId);
    this.credit.set(coreId, credit);
  }

  /** Records a delivery (the core has already taken one credit for it). */
  dispatched(seq: number, coreConsumer: CoreConsumerId, deliveryId: DeliveryId): void {
    this.records.set(seq, { coreConsumer, deliveryId, counted: true });
    this.outstanding++;
    this.credit.set(coreConsumer, (this.credit.get(coreConsumer) ?? 0) - 1);
    this.pullWaiting = false;
    if (this.pullTimer) {
      clearTimeout(this.pullTimer);
      this.pullTimer = undefined;
    }
  }

  uncount(r: DispatchRecord): void {
    if (!r.counted) return;
    r.counted = false;
    this.outstanding--;
  }

  recount(r: DispatchRecord): void {
    if (r.counted) return;
    r.counted = true;
    this.outstanding++;
  }

  /** Removes a settled record from the window. */
  forget(seq: number): DispatchRecord | undefined {
    const r = this.records.get(seq);
    if (!r) return undefined;
    this.uncount(r);
    this.records.delete(seq);
    return r;
  }

  /** Records with first ≤ seq ≤ last (first absent: from the oldest), in dispatch order. */
  range(first: number | undefined, last: number): Array<[number, DispatchRecord]> {
    const out: Array<[number, DispatchRecord]> = [];
    for (const entry of this.records) {
      if (entry[0] > last) break;
      if (first === undefined || entry[0] >= first) out.push(entry);
    }
    return out;
  }

  /** Brings core credit in line with the window; call after anything changed it. */
  syncCredit(): void {
    if (this.closed) return;
    const target = this.prefetch > 0 ? Math.max(0, this.prefetch - this.outstanding) : this.pullWaiting ? 1 : 0;
    for (const id of this.coreIds) {
      const have = this.credit.get(id) ?? 0;
      if (have === target) continue;
      this.credit.set(id, target);
      // May dispatch synchronously, which takes credit back through dispatched().
      this.session.addCredit(id, target - have);
    }
  }

  /** Takes back unused credit (a pull that timed out). */
  drain(): void {
    for (const id of this.coreIds) {
      try {
        this.session.drain(id);
      } catch (e) {
        // The core already closed it (its temporary queue was deleted): nothing left to drain.
        if (!isBrokerError(e) || (e.code !== 'NO_SUCH_CONSUMER' && e.code !== 'SESSION_CLOSED')) throw e;
      }
      this.credit.set(id, 0);
    }
  }

  stopPull(): void {
    this.pullWaiting = false;
    if (this.pullTimer) clearTimeout(this.pullTimer);
    this.pullTimer = undefined;
  }
}
