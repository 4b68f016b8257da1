import type {
  ConsumerId, CoreSession, Delivery, DeliverySink, Outcome,
} from '../../src/spi/core.js';
import type { BrokerError } from '../../src/spi/errors.js';

/**
 * A test adapter: records everything the core calls back with. With `autoSettle` set, it settles
 * each delivery with that outcome right after recording it, as a protocol adapter whose client
 * acknowledges at once would (in a microtask, or synchronously inside deliver() with `syncSettle`).
 */
export class RecordingSink implements DeliverySink {
  readonly deliveries: Delivery[] = [];
  readonly consumerCloses: Array<{ consumer: ConsumerId; reason: BrokerError }> = [];
  readonly sessionCloses: BrokerError[] = [];
  /** The session to settle through; set by whoever opens it. */
  session: CoreSession | undefined;
  private waiters: Array<{ ready: () => boolean; resolve: () => void }> = [];

  constructor(private readonly options: { autoSettle?: Outcome; syncSettle?: boolean } = {}) {}

  deliver(delivery: Delivery): void {
    this.deliveries.push(delivery);
    const outcome = this.options.autoSettle;
    if (outcome && this.session) {
      const session = this.session;
      const settle = (): void => void session.settle(delivery.consumerId, delivery.id, outcome);
      if (this.options.syncSettle) settle();
      else queueMicrotask(settle);
    }
    this.wake();
  }

  consumerClosed(consumer: ConsumerId, reason: BrokerError): void {
    this.consumerCloses.push({ consumer, reason });
    this.wake();
  }

  sessionClosed(reason: BrokerError): void {
    this.sessionCloses.push(reason);
    this.wake();
  }

  /** Deliveries to one consumer (all when none is named). */
  of(consumer?: ConsumerId): Delivery[] {
    return consumer === undefined ? this.deliveries : this.deliveries.filter((d) => d.consumerId === consumer);
  }

  /** Body texts of the deliveries to one consumer (all when none is named), in delivery order. */
  bodies(consumer?: ConsumerId): string[] {
    return this.of(consumer).map(bodyText);
  }

  last(consumer?: ConsumerId): Delivery {
    const all = this.of(consumer);
    const d = all[all.length - 1];
    if (!d) throw new Error(`no delivery${consumer === undefined ? '' : ` to consumer ${consumer}`}`);
    return d;
  }

  /** Resolves once `n` deliveries (to `consumer`, if named) were recorded; rejects after `timeoutMs`. */
  waitForDeliveries(n: number, consumer?: ConsumerId, timeoutMs = 2000): Promise<void> {
    return this.waitUntil(() => this.of(consumer).length >= n, `${n} deliveries`, timeoutMs);
  }

  waitUntil(ready: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out waiting for ${what}; got ${this.deliveries.length} deliveries`));
      }, timeoutMs);
      const waiter = { ready, resolve: () => { clearTimeout(timer); resolve(); } };
      this.waiters.push(waiter);
    });
  }

  private wake(): void {
    const due = this.waiters.filter((w) => w.ready());
    this.waiters = this.waiters.filter((w) => !due.includes(w));
    for (const w of due) w.resolve();
  }
}

export function bodyText(d: Delivery): string {
  return Buffer.from(d.message.body).toString('utf8');
}
