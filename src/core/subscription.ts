import type { Queue } from './queue.js';
import type { Selector } from './selector/index.js';

/**
 * A topic subscription: a filter (maybe with wildcards) bound to its own queue. The selector and
 * noLocal are applied when a message is routed, so a durable subscription stores only what its
 * subscriber will get.
 */
export interface Subscription {
  readonly queue: Queue;
  readonly filter: string;
  readonly selectorText: string | undefined;
  readonly selector: Selector | undefined;
  readonly noLocal: boolean;
  /** For noLocal: the session (non-durable) or client id (durable) whose own messages are skipped. */
  readonly localOrigin: string | undefined;
  readonly durable?: { clientId: string; name: string };
  readonly sharedGroup?: string;
}

/** Where a message comes from, for noLocal. */
export interface Origin {
  readonly sessionId: string;
  readonly clientId: string | undefined;
}

export function wantsMessage(sub: Subscription, origin: Origin | undefined, accepts: () => boolean): boolean {
  if (sub.noLocal && origin) {
    const local = sub.durable ? origin.clientId : origin.sessionId;
    if (local !== undefined && local === sub.localOrigin) return false;
  }
  return !sub.selector || accepts();
}
