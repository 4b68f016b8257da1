import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach } from 'vitest';
import { BrokerCore, type CoreConfig } from '../../src/core/index.js';
import type { CoreSession, Outcome, SessionOptions } from '../../src/spi/core.js';
import { BrokerError } from '../../src/spi/errors.js';
import type { Address, OutgoingMessage } from '../../src/spi/message.js';
import { JournalStore } from '../../src/store/journal/index.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { RecoveredState, Store, StoreHealth, StoreOp } from '../../src/store/store.js';
import { RecordingSink } from './recording-sink.js';

export const DLQ = 'ActiveMQ.DLQ';

export function coreConfig(overrides: Partial<CoreConfig> = {}): CoreConfig {
  return {
    brokerName: 'test', maxRedeliveries: 6, deadLetterQueue: DLQ, deadLetterNonPersistent: false,
    maxMessageBytes: 1 << 20, memoryLimitBytes: 64 << 20, expirySweepMs: 0, browseMaxMessages: 400, scheduledDelivery: false, maxScheduledRepeats: 1000, policies: [],
    duplicateWindowMs: 300_000, duplicateMaxIds: 100_000, users: [], allowAnonymous: true,
    ...overrides,
  };
}

/** A started core on `store` (a fresh MemoryStore unless given). */
export async function startCore(overrides: Partial<CoreConfig> = {}, store: Store = new MemoryStore()): Promise<BrokerCore> {
  const core = new BrokerCore(coreConfig(overrides), store, pino({ level: 'silent' }));
  await core.start();
  return core;
}

/**
 * Cores for the tests of one file: each test starts what it needs (over `defaults`); all are
 * stopped after it, and its journal directory removed.
 */
export function coresPerTest(defaults: Partial<CoreConfig> = {}): {
  start(overrides?: Partial<CoreConfig>): Promise<BrokerCore>;
  /** On a journal in the test's own directory: a second call is a restart on what the first left. */
  onJournal(overrides?: Partial<CoreConfig>): Promise<BrokerCore>;
} {
  const started: BrokerCore[] = [];
  let dir: string | undefined;
  afterEach(async () => {
    await Promise.all(started.splice(0).map((c) => c.stop()));
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const start = async (overrides: Partial<CoreConfig> = {}, store?: Store): Promise<BrokerCore> => {
    const core = await startCore({ ...defaults, ...overrides }, store);
    started.push(core);
    return core;
  };
  return {
    start: (overrides) => start(overrides),
    onJournal: async (overrides) => start(overrides, new JournalStore({ dir: (dir ??= await mkdtemp(join(tmpdir(), 'wharf-core-'))) })),
  };
}

export interface Client {
  session: CoreSession;
  sink: RecordingSink;
}

/** Opens a session with a recording sink, as an adapter would for a new connection. */
export function connect(
  core: BrokerCore,
  options: Partial<SessionOptions> = {},
  sinkOptions: { autoSettle?: Outcome; syncSettle?: boolean } = {},
): Client {
  const sink = new RecordingSink(sinkOptions);
  const session = core.openSession({ principal: { name: 'tester', anonymous: false }, protocol: 'test', ...options }, sink);
  sink.session = session;
  // As an adapter does: carry on once the consumer is attached (deliveries start on the next macrotask).
  const subscribe = session.subscribe.bind(session);
  session.subscribe = async (...args) => {
    const id = await subscribe(...args);
    await flush();
    return id;
  };
  return { session, sink };
}

export const queue = (name: string): Address => ({ name, routing: 'anycast' });
export const topic = (name: string): Address => ({ name, routing: 'multicast' });

export function msg(body: string, extra: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return { body: Buffer.from(body), bodyType: 'text', properties: {}, persistent: true, priority: 4, expiration: 0, ...extra };
}

/** Lets pending promise callbacks and I/O-free timers run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Whether a promise has settled by now (after a flush). */
export async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(() => { settled = true; }, () => { settled = true; });
  await flush();
  return settled;
}

/** Expects a promise (or a throwing call) to fail with a BrokerError of `code`. */
export async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  let error: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    error = e;
  }
  if (!(error instanceof BrokerError)) throw new Error(`expected BrokerError ${code}, got ${String(error)}`);
  if (error.code !== code) throw new Error(`expected BrokerError ${code}, got ${error.code}: ${error.message}`);
}

/**
 * A real store with latency: a MemoryStore whose commits are held until released, one at a time
 * and in order, as a journal's group commit would complete them.
 */
export class HeldStore implements Store {
  readonly kind = 'memory';
  readonly held: Array<{ ops: StoreOp[]; release: () => void }> = [];
  holding = false;

  constructor(readonly inner = new MemoryStore()) {}

  open(): Promise<RecoveredState> {
    return this.inner.open();
  }

  commit(ops: StoreOp[]): Promise<void> {
    if (!this.holding && this.held.length === 0) return this.inner.commit(ops);
    return new Promise((resolve, reject) => {
      this.held.push({ ops, release: () => this.inner.commit(ops).then(resolve, reject) });
    });
  }

  /** Completes every held commit, in order. */
  releaseAll(): void {
    this.holding = false;
    for (const h of this.held.splice(0)) h.release();
  }

  health(): StoreHealth {
    return this.inner.health();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A MemoryStore that starts failing (sticky, like the journal after a write error) once `fail()` is called. */
export class FailingStore implements Store {
  readonly kind = 'memory';
  private failed = false;

  constructor(readonly inner = new MemoryStore()) {}

  fail(): void {
    this.failed = true;
  }

  open(): Promise<RecoveredState> {
    return this.inner.open();
  }

  commit(ops: StoreOp[]): Promise<void> {
    if (this.failed) return Promise.reject(new BrokerError('STORE_FAILED', 'disk on fire'));
    return this.inner.commit(ops);
  }

  health(): StoreHealth {
    return this.failed ? { ok: false, error: 'disk on fire', usedBytes: 0, full: false } : this.inner.health();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
