import type { BrowsedMessage } from '../../../src/spi/index.js';
import { amqpErrorOf, AmqpProtocolError, CONDITION } from '../errors.js';
import { encodeMessage, kindOfCapabilities, parseAddress } from '../mapping.js';
import { answerDetach, completeDrain, DRAIN_RETRY_MS, holdLocalAttach, refuseLink, type EngineSender, type RemoteTerminus } from '../rhea-engine.js';
import type { LinkContext, LinkHandler } from './context.js';
import { sourceFilters } from './terminus.js';


/** Whether an attach asks for a queue browser: a source with distribution-mode `copy`. */
export function isBrowseAttach(source: RemoteTerminus | null | undefined): boolean {
  return source?.distribution_mode === 'copy';
}

/**
 * A queue browser (source distribution-mode `copy`, as Qpid JMS's QueueBrowser attaches): the
 * core's snapshot of the waiting messages, sent pre-settled as credit allows; nothing is consumed.
 * When the snapshot is spent a drain completes at once, which is how the browser learns the end.
 */
export class BrowseLink implements LinkHandler {
  private snapshot: BrowsedMessage[] = [];
  private next = 0;
  private open = false;
  private drainTimer: NodeJS.Timeout | undefined;
  private drainRequested = false;
  private sent = 0;

  constructor(private readonly ctx: LinkContext, readonly link: EngineSender) {
    holdLocalAttach(link);
    ctx.listen(link, 'sender_flow', () => {
      this.drainRequested = false;
      this.pump();
    });
    ctx.listen(link, 'sender_draining', () => {
      this.drainRequested = true;
      this.pump();
    });
  }

  async start(): Promise<void> {
    const source = this.link.remote.attach!.source!;
    try {
      if (!source.address) throw new AmqpProtocolError(CONDITION.invalidField, 'a queue browser needs a source address');
      const address = parseAddress(source.address, kindOfCapabilities(source.capabilities));
      if (address.routing !== 'anycast') throw new AmqpProtocolError(CONDITION.notImplemented, 'only queues can be browsed');
      const filters = sourceFilters(source);
      this.snapshot = await this.ctx.session.browse(address, filters.selector !== undefined ? { selector: filters.selector } : {});
      this.link.set_source({
        address: source.address, distribution_mode: 'copy', filter: Object.keys(filters.echo).length > 0 ? filters.echo : undefined,
        capabilities: source.capabilities,
      });
      this.link.set_target({ address: this.link.remote.attach!.target?.address ?? null });
      this.link.local.attach.snd_settle_mode = 1;
      this.link.open();
      this.open = true;
      // Our attach goes out on rhea's next pass; transfers must not overtake it.
      setImmediate(() => this.pump());
    } catch (e) {
      this.ctx.log.debug({ err: e }, 'queue browser refused');
      refuseLink(this.link, amqpErrorOf(e));
    }
  }

  private pump(): void {
    while (this.open && this.next < this.snapshot.length && this.link.credit > 0) {
      const b = this.snapshot[this.next++]!;
      this.link.send(encodeMessage(b.message, b.deliveryCount), Buffer.from(String(this.sent++)), 0);
      this.ctx.deliveryQueued(this.link.session);
    }
    if (this.drainRequested) this.finishDrain();
  }

  /** A drain with the snapshot spent (and rhea's window empty) consumes the rest of the credit. */
  private finishDrain(): void {
    clearTimeout(this.drainTimer);
    if (!this.open || !this.drainRequested || this.next < this.snapshot.length) return;
    if (this.link.delivery_count < this.sent) {
      this.drainTimer = setTimeout(() => this.finishDrain(), DRAIN_RETRY_MS);
      return;
    }
    this.drainRequested = false;
    completeDrain(this.link);
  }

  detached(closed: boolean, answer = true): void {
    if (!this.open) return;
    this.open = false;
    clearTimeout(this.drainTimer);
    if (answer) answerDetach(this.link, closed);
  }

  dispose(): void {
    this.open = false;
    clearTimeout(this.drainTimer);
  }
}
