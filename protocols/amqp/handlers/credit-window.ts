import type { EngineReceiver } from '../rhea-engine.js';

/**
 * The credit the broker grants on a link the peer sends on: a window of `size` transfers, of
 * which those still being handled by the core count as used. When the core is slow (memory or
 * store pressure) handling stays long, no credit is granted, and the producer waits.
 */
export class CreditWindow {
  private handling = 0;

  constructor(private readonly link: EngineReceiver, private readonly size: number) {}

  open(): void {
    this.link.add_credit(this.size);
  }

  /** A transfer arrived and is being handled. */
  taken(): void {
    this.handling++;
  }

  /** A transfer's handling finished: top the window up once half of it is used. */
  done(): void {
    this.handling--;
    const free = this.size - Math.max(0, this.link.credit) - this.handling;
    if (free >= this.size / 2 && this.link.is_open()) this.link.add_credit(free);
  }
}
