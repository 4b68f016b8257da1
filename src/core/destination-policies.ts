import type { DestinationPolicyEntry } from '../config/config-leaf.js';
import type { Address } from '../spi/message.js';
import { TopicTrie } from './topic-trie.js';

/** What applies to one destination once the policies are resolved. */
export interface DestinationPolicy {
  maxRedeliveries: number;
  /** The dead-letter queue of this destination. */
  deadLetterQueue: Address;
  /** Added to every send without a delay of its own; 0: none. */
  deliveryDelayMs: number;
  /** Messages older than this are deleted undelivered; 0: kept. */
  retentionMs: number;
  /** Unsettled deliveries are taken back after this long; 0: never. */
  visibilityTimeoutMs: number;
}

const NAME = '{name}';
/** Resolved policies kept by name; past this many (temporary destinations come and go) the cache starts over. */
const MAX_CACHED = 10_000;

/**
 * Per-destination settings by ActiveMQ wildcard (destinationPolicy): the first entry in
 * configuration order whose `match` matches a destination's name applies, field by field over the
 * broker-wide defaults. Resolved once per name.
 */
export class DestinationPolicies {
  private readonly trie = new TopicTrie<{ index: number; entry: DestinationPolicyEntry }>();
  private readonly resolved = new Map<string, DestinationPolicy>();
  /** What applies where no entry matches: shared, so destinations without a policy cost no cache entry. */
  private readonly fallback: DestinationPolicy;
  /** Configured dead-letter queue names: templates split around `{name}`, or exact names. */
  private readonly deadLetterShapes: Array<{ prefix: string; suffix: string } | { exact: string }>;

  constructor(
    private readonly entries: readonly DestinationPolicyEntry[],
    private readonly defaults: { maxRedeliveries: number; deadLetterQueue: string },
  ) {
    entries.forEach((entry, index) => this.trie.add(entry.match, { index, entry }));
    this.fallback = {
      maxRedeliveries: defaults.maxRedeliveries,
      deadLetterQueue: { name: defaults.deadLetterQueue, routing: 'anycast' },
      deliveryDelayMs: 0,
      retentionMs: 0,
      visibilityTimeoutMs: 0,
    };
    this.deadLetterShapes = entries.flatMap((e) => {
      const dlq = e.deadLetterQueue;
      if (dlq === undefined) return [];
      const at = dlq.indexOf(NAME);
      return [at < 0 ? { exact: dlq } : { prefix: dlq.slice(0, at), suffix: dlq.slice(at + NAME.length) }];
    });
  }

  get any(): boolean {
    return this.entries.length > 0;
  }

  /** The shortest visibility timeout any entry sets; 0 if none does. */
  get shortestVisibilityTimeoutMs(): number {
    const set = this.entries.map((e) => e.visibilityTimeoutMs ?? 0).filter((ms) => ms > 0);
    return set.length > 0 ? Math.min(...set) : 0;
  }

  of(name: string): DestinationPolicy {
    if (!this.any) return this.fallback;
    let p = this.resolved.get(name);
    if (!p) {
      let first: { index: number; entry: DestinationPolicyEntry } | undefined;
      this.trie.match(name, (m) => {
        if (!first || m.index < first.index) first = m;
      });
      const e = first?.entry;
      p = !e ? this.fallback : {
        maxRedeliveries: e.maxRedeliveries ?? this.defaults.maxRedeliveries,
        deadLetterQueue: { name: e.deadLetterQueue?.replace(NAME, name) ?? this.defaults.deadLetterQueue, routing: 'anycast' },
        deliveryDelayMs: e.deliveryDelayMs ?? 0,
        retentionMs: e.retentionMs ?? 0,
        visibilityTimeoutMs: e.visibilityTimeoutMs ?? 0,
      };
      if (this.resolved.size >= MAX_CACHED) this.resolved.clear();
      this.resolved.set(name, p);
    }
    return p;
  }

  /** Whether `name` is a dead-letter queue (its messages are not dead-lettered again). */
  isDeadLetterQueue(name: string): boolean {
    if (name === this.defaults.deadLetterQueue) return true;
    return this.deadLetterShapes.some((s) => 'exact' in s
      ? name === s.exact
      : name.length > s.prefix.length + s.suffix.length && name.startsWith(s.prefix) && name.endsWith(s.suffix));
  }
}
