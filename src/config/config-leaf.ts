/**
 * One configuration key: its default, its type (as documented), one line of documentation, how
 * to check a value from a file and how to read one from text (environment variables, flags).
 * `check` throws an Error whose message states the problem; the loader adds the key and source.
 */
export interface ConfigLeaf<T> {
  readonly leaf: true;
  /** The type as shown in the README and in error messages. */
  readonly type: string;
  readonly default: T;
  readonly doc: string;
  check(value: unknown): T;
  fromText(text: string): unknown;
  /** How the value is shown by `wharf config` (secrets masked). */
  mask?(value: T): unknown;
}

const MASK = '********';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a section';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function leaf<T>(type: string, def: T, doc: string, check: (v: unknown) => T, fromText: (t: string) => unknown = (t) => t): ConfigLeaf<T> {
  return { leaf: true, type, default: def, doc, check, fromText };
}

function fail(expected: string, value: unknown): never {
  throw new Error(`expected ${expected}, got ${describe(value)}`);
}

function textToNumber(text: string): unknown {
  const trimmed = text.trim();
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : text;
}

export function integer(def: number, doc: string, range: { min?: number; max?: number } = {}): ConfigLeaf<number> {
  const min = range.min ?? 0;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const expected = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  return leaf('integer', def, doc, (v) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) fail(expected, v);
    return v;
  }, textToNumber);
}

export function port(def: number, doc: string): ConfigLeaf<number> {
  return integer(def, doc, { min: 0, max: 65535 });
}

export function decimal(def: number, doc: string, range: { min: number; max: number }): ConfigLeaf<number> {
  return leaf('number', def, doc, (v) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < range.min || v > range.max) {
      fail(`a number from ${range.min} to ${range.max}`, v);
    }
    return v;
  }, textToNumber);
}

const TRUE_TEXT = new Set(['true', '1', 'yes', 'on']);
const FALSE_TEXT = new Set(['false', '0', 'no', 'off']);

export function boolean(def: boolean, doc: string): ConfigLeaf<boolean> {
  return leaf('boolean', def, doc, (v) => {
    if (typeof v !== 'boolean') fail('true or false', v);
    return v;
  }, (t) => {
    const lower = t.trim().toLowerCase();
    if (TRUE_TEXT.has(lower)) return true;
    if (FALSE_TEXT.has(lower)) return false;
    return t;
  });
}

export function string(def: string, doc: string): ConfigLeaf<string> {
  return leaf('string', def, doc, (v) => {
    if (typeof v !== 'string' || v === '') fail('a non-empty string', v);
    return v;
  });
}

/** A string that may be unset (null); empty text from the environment or a flag unsets it. */
export function optionalString(doc: string): ConfigLeaf<string | null> {
  return leaf<string | null>('string, optional', null, doc, (v) => {
    if (v === null || v === '') return null;
    if (typeof v !== 'string') fail('a string', v);
    return v;
  });
}

export function oneOf<const V extends string>(values: readonly V[], def: V, doc: string): ConfigLeaf<V> {
  return leaf(values.join(' | '), def, doc, (v) => {
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) fail(`one of ${values.join(', ')}`, v);
    return v as V;
  });
}

export interface UserEntry {
  username: string;
  password: string;
}

/** A list of users; from text it is JSON: `[{"username":"app","password":"secret"}]`. */
export function userList(doc: string): ConfigLeaf<UserEntry[]> {
  const expected = 'a list of {username, password} (JSON in environment variables and flags)';
  const users = leaf<UserEntry[]>('list of {username, password}', [], doc, (v) => {
    if (!Array.isArray(v)) fail(expected, v);
    return v.map((u: unknown, i) => {
      const entry = u as Partial<UserEntry> | null;
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(expected, v);
      const extra = Object.keys(entry).filter((k) => k !== 'username' && k !== 'password');
      if (extra.length > 0) throw new Error(`entry ${i}: unknown field ${extra[0]}`);
      if (typeof entry.username !== 'string' || entry.username === '') throw new Error(`entry ${i}: username must be a non-empty string`);
      if (typeof entry.password !== 'string') throw new Error(`entry ${i}: password must be a string`);
      return { username: entry.username, password: entry.password };
    });
  }, parseJsonText);
  return { ...users, mask: (list) => list.map((u) => ({ username: u.username, password: MASK })) };
}

/** Per-destination settings (ActiveMQ's destinationPolicy entries, SQS's queue attributes). */
export interface DestinationPolicyEntry {
  /** A destination name or ActiveMQ wildcard (`orders.>`, `*.events`); the first matching entry applies. */
  match: string;
  maxRedeliveries?: number;
  /** Where its dead letters go; `{name}` stands for the destination's name (ActiveMQ's individualDeadLetterStrategy: `DLQ.{name}`). */
  deadLetterQueue?: string;
  /** Every message sent to it waits this long before delivery (SQS DelaySeconds), unless it asks for its own delay. */
  deliveryDelayMs?: number;
  /** Messages older than this (since sent) are deleted undelivered (SQS MessageRetentionPeriod); 0: kept. */
  retentionMs?: number;
  /**
   * A delivery the client has not settled within this time is taken back and delivered again,
   * counted as a failed attempt (SQS VisibilityTimeout; with maxRedeliveries, maxReceiveCount); 0: never.
   */
  visibilityTimeoutMs?: number;
}

const POLICY_FIELDS = new Set(['match', 'maxRedeliveries', 'deadLetterQueue', 'deliveryDelayMs', 'retentionMs', 'visibilityTimeoutMs']);

function policyEntry(u: unknown, i: number, expected: string, list: unknown): DestinationPolicyEntry {
  const entry = u as Record<string, unknown> | null;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(expected, list);
  const extra = Object.keys(entry).find((k) => !POLICY_FIELDS.has(k));
  if (extra !== undefined) throw new Error(`entry ${i}: unknown field ${extra}`);
  if (typeof entry.match !== 'string' || entry.match === '') throw new Error(`entry ${i}: match must be a non-empty destination name or wildcard`);
  const count = (field: string): number | undefined => {
    const v = entry[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`entry ${i}: ${field} must be a whole number ≥ 0`);
    return v;
  };
  const out: DestinationPolicyEntry = { match: entry.match };
  for (const field of ['maxRedeliveries', 'deliveryDelayMs', 'retentionMs', 'visibilityTimeoutMs'] as const) {
    const v = count(field);
    if (v !== undefined) out[field] = v;
  }
  if (entry.deadLetterQueue !== undefined) {
    if (typeof entry.deadLetterQueue !== 'string' || entry.deadLetterQueue === '') throw new Error(`entry ${i}: deadLetterQueue must be a non-empty queue name`);
    out.deadLetterQueue = entry.deadLetterQueue;
  }
  return out;
}

/** A list of destination policies; from text it is JSON: `[{"match":"orders.>","maxRedeliveries":3}]`. */
export function policyList(doc: string): ConfigLeaf<DestinationPolicyEntry[]> {
  const fields = 'match, maxRedeliveries?, deadLetterQueue?, deliveryDelayMs?, retentionMs?, visibilityTimeoutMs?';
  const expected = `a list of {${fields}} (JSON in environment variables and flags)`;
  return leaf<DestinationPolicyEntry[]>(`list of {${fields}}`, [], doc, (v) => {
    if (!Array.isArray(v)) fail(expected, v);
    return v.map((u: unknown, i) => policyEntry(u, i, expected, v));
  }, parseJsonText);
}

function parseJsonText(t: string): unknown {
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return t;
  }
}

export function isLeaf(node: unknown): node is ConfigLeaf<unknown> {
  return typeof node === 'object' && node !== null && (node as { leaf?: unknown }).leaf === true;
}
