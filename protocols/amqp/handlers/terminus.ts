import { descriptorOf, DESCRIPTOR, plain } from '../codec.js';
import type { Typed } from '../rhea-engine.js';
import type { RemoteTerminus } from '../rhea-engine.js';

/** Terminus fields (spec 3.5.3 - 3.5.7) as this adapter reads them. */

export const TERMINUS_DURABILITY = { none: 0, configuration: 1, unsettledState: 2 } as const;

export function capabilityList(v: string | string[] | null | undefined): string[] {
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

export interface SourceFilters {
  /** JMS selector (apache.org:selector-filter:string). */
  selector?: string;
  /** apache.org:no-local-filter:list. */
  noLocal: boolean;
  /** The filters we apply, under the peer's keys, to echo in our attach (spec 3.5.3: unsupported ones are left out). */
  echo: Record<string, unknown>;
}

/** Reads the filters we support out of a source's filter-set; others are ignored (and not echoed). */
export function sourceFilters(source: RemoteTerminus): SourceFilters {
  const out: SourceFilters = { noLocal: false, echo: {} };
  for (const [key, value] of Object.entries(source.filter ?? {})) {
    const code = descriptorOf(value);
    if (code === DESCRIPTOR.selectorFilter) {
      const text = plain(value as Typed);
      if (typeof text !== 'string') continue;
      out.selector = text;
      out.echo[key] = value;
    } else if (code === DESCRIPTOR.noLocalFilter) {
      out.noLocal = true;
      out.echo[key] = value;
    }
  }
  return out;
}

/** ActiveMQ's reading of a durable subscription: a durable terminus or one that never expires. */
export function isDurableSource(source: RemoteTerminus): boolean {
  return (source.durable ?? 0) > TERMINUS_DURABILITY.none || source.expiry_policy === 'never';
}
