import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { LeaseFiles } from './lease-files.js';
import { LeaseRenewer, monotonicMs } from './lease-renewer.js';

/** The renewal thread keeps the lease while the main thread was alive within this time. */
const MAIN_STALL_LIMIT_MS = 10_000;
/** Renewal-thread beats start here, apart from the main thread's first ones. */
const WORKER_FIRST_BEAT = 1_000_000;

/**
 * The active/standby state machine over a lease in a shared data directory.
 *
 * Safety argument (no two actives acknowledge at once):
 * 1. Epochs are owned exclusively: an epoch file is created with O_EXCL, so one process per epoch.
 * 2. A standby claims epoch E+1 only after it has watched the lease's `beat` stay unchanged for
 *    `leaseMs` on its own monotonic clock, or after the active released the lease on purpose.
 * 3. The active considers itself valid only until `renewStart + leaseMs - marginMs`, where
 *    renewStart is taken before a renewal write that then succeeded. A standby can only have seen
 *    that write after renewStart, so its expiry comes at least `marginMs` after the active's
 *    validity ends (margin covers clock-rate drift and poll jitter).
 *    A renewal only counts if the lease still held when it began, so an active resumed after a
 *    pause past its validity never extends it while a standby may be claiming.
 * 4. The journal asks `mayAcknowledge()` after each sync, before resolving any commit, and the core
 *    before each dispatch; so an active that was paused (SIGSTOP, partition) past its validity
 *    acknowledges and hands out nothing, sees the newer epoch or its expired lease, and steps down.
 * Renewals run on their own thread (lease-worker.ts), so a stalled main thread (GC, replay, load)
 * does not lose the lease; a main thread silent for MAIN_STALL_LIMIT_MS does.
 * 5. The new active seals the journal as it found it (epoch fencing in the journal), so records a
 *    stale active still writes after the takeover are never replayed.
 */
export type HaRole = 'starting' | 'standby' | 'activating' | 'active' | 'stepping-down' | 'stopped';

export interface HaOptions {
  dataDir: string;
  leaseMs: number;
  renewMs: number;
  pollMs: number;
  logger: Logger;
  /** Opens the store under `epoch`, starts the core and the listeners. */
  activate(epoch: number): Promise<void>;
  /** Closes listeners, core and store; `reason` for the logs. */
  deactivate(reason: string): Promise<void>;
  /** Activation failed: the node released its lease and stopped; the process should exit. */
  failed(error: unknown): void;
}

type HaEvent = 'claimed' | 'activated' | 'lost' | 'deactivated' | 'stop';

const NEXT: Record<HaRole, Partial<Record<HaEvent, HaRole>>> = {
  starting: { claimed: 'activating', lost: 'standby', stop: 'stopped' },
  standby: { claimed: 'activating', stop: 'stopped' },
  activating: { activated: 'active', lost: 'stepping-down', stop: 'stepping-down' },
  active: { lost: 'stepping-down', stop: 'stepping-down' },
  'stepping-down': { deactivated: 'standby', stop: 'stepping-down' },
  stopped: {},
};

export class HaNode {
  readonly nodeId = randomUUID();
  private readonly files: LeaseFiles;
  private role: HaRole = 'starting';
  private epoch = 0;
  private beat = 0;
  private renewer: LeaseRenewer | undefined;
  private observed = '';
  private observedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** During a planned handoff the lease is kept renewed until the store has closed. */
  private handingOff = false;
  private readonly marginMs: number;

  constructor(private readonly o: HaOptions) {
    this.files = new LeaseFiles(o.dataDir);
    this.marginMs = Math.max(o.renewMs, Math.floor(o.leaseMs / 4));
    if (o.renewMs * 2 >= o.leaseMs - this.marginMs) {
      throw new Error(`ha: leaseMs (${o.leaseMs}) must exceed 2 × renewMs (${o.renewMs}) plus the safety margin`);
    }
  }

  get currentRole(): HaRole {
    return this.role;
  }

  get currentEpoch(): number {
    return this.epoch;
  }

  private transition(event: HaEvent): void {
    const next = NEXT[this.role][event];
    if (!next) throw new Error(`ha: no transition from ${this.role} on ${event}`);
    this.o.logger.info({ from: this.role, to: next, event, epoch: this.epoch }, 'ha role change');
    this.role = next;
  }

  /** True while this node is active and inside its lease: the journal's gate before acknowledging. */
  mayAcknowledge(): boolean {
    const r = this.renewer;
    return (this.role === 'active' || this.role === 'activating' || this.handingOff) && !!r && !r.lost && monotonicMs() < r.validUntil;
  }

  start(): void {
    // A fresh directory has no epoch: the first node claims at once. Otherwise watch a full lease.
    if (this.files.currentEpoch() !== 0 || !this.tryClaim()) {
      this.transition('lost');
      this.observe();
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.role === 'stopped') return;
    const delay = this.role === 'standby' ? this.o.pollMs : this.o.renewMs;
    this.timer = setTimeout(() => this.tick(), delay);
  }

  private tick(): void {
    try {
      if (this.role === 'standby') this.watch();
      else if (this.role === 'active' || this.role === 'activating' || this.handingOff) this.renew();
    } catch (err) {
      this.o.logger.error({ err }, 'ha tick failed');
    }
    this.schedule();
  }

  /** Standby: remember when the lease last changed; claim when it stood still for a lease period. */
  private watch(): void {
    const lease = this.files.readLease();
    const current = this.files.currentEpoch();
    // A lease released by a handoff goes to a peer at once; the node that released it (now a
    // standby) must not win it back by polling first: it takes over only once it expires.
    if (lease?.released && lease.epoch === current && lease.owner !== this.nodeId) {
      this.tryClaim();
      return;
    }
    if (this.observe() || monotonicMs() - this.observedAt <= this.o.leaseMs) return;
    this.o.logger.warn({ epoch: current, lastBeat: lease?.beat }, 'lease expired; taking over');
    this.tryClaim();
  }

  /** Returns true when the lease changed since the last look. */
  private observe(): boolean {
    const lease = this.files.readLease();
    const key = `${this.files.currentEpoch()}|${lease ? `${lease.epoch}:${lease.owner}:${lease.beat}` : 'none'}`;
    if (key === this.observed) return false;
    this.observed = key;
    this.observedAt = monotonicMs();
    return true;
  }

  private tryClaim(): boolean {
    // The lease remembers the last epoch too, so epoch files deleted by hand never make one reused.
    const epoch = Math.max(this.files.currentEpoch(), this.files.readLease()?.epoch ?? 0) + 1;
    if (!this.files.claim(epoch, this.nodeId)) {
      this.observe();
      return false;
    }
    this.epoch = epoch;
    this.beat = 0;
    this.transition('claimed');
    this.startRenewal();
    this.o.activate(epoch).then(
      () => {
        if (this.role === 'activating') this.transition('activated');
      },
      (err: unknown) => {
        // A lease that lapsed while activating (a slow replay on a loaded machine) is no fault
        // of this node: step down and try again later. Anything else is fatal.
        if (this.role === 'activating' && !this.mayAcknowledge()) {
          this.o.logger.warn({ err }, 'the lease lapsed during activation; stepping down');
          this.stepDown('lease lapsed during activation');
        } else void this.giveUp(err);
      },
    );
    return true;
  }

  /** Writes the first lease of a new epoch here, then hands renewals to their own thread. */
  private startRenewal(): void {
    const started = monotonicMs();
    this.files.writeLease({ epoch: this.epoch, owner: this.nodeId, beat: ++this.beat, leaseMs: this.o.leaseMs });
    this.renewer = new LeaseRenewer(
      {
        dataDir: this.o.dataDir, epoch: this.epoch, owner: this.nodeId, beat: WORKER_FIRST_BEAT,
        leaseMs: this.o.leaseMs, renewMs: this.o.renewMs, marginMs: this.marginMs, stallLimitMs: MAIN_STALL_LIMIT_MS,
      },
      started + this.o.leaseMs - this.marginMs,
      (message) => this.o.logger.warn({ error: message }, 'lease renewal failed'),
    );
  }

  private stopRenewal(): void {
    this.renewer?.stop();
    this.renewer = undefined;
  }

  /**
   * Active, each tick: step down when fenced by a newer epoch or past validity. Until the renewal
   * thread has renewed once (it takes a moment to start), this thread renews too.
   */
  private renew(): void {
    const r = this.renewer;
    if (!r) return;
    const started = monotonicMs();
    if (r.lost || this.files.currentEpoch() > this.epoch) {
      this.stepDown('a newer epoch was claimed, or the lease lapsed');
      return;
    }
    if (started >= r.validUntil) {
      this.stepDown('lease expired before it could be renewed (paused or partitioned)');
      return;
    }
    if (r.beat > WORKER_FIRST_BEAT) return;
    try {
      this.files.writeLease({ epoch: this.epoch, owner: this.nodeId, beat: ++this.beat, leaseMs: this.o.leaseMs });
      r.extend(started + this.o.leaseMs - this.marginMs);
    } catch (err) {
      this.o.logger.warn({ err }, 'lease renewal failed');
    }
  }

  private stepDown(reason: string): void {
    if (this.role !== 'active' && this.role !== 'activating') return;
    this.stopRenewal();
    this.transition('lost');
    this.o.logger.warn({ reason, epoch: this.epoch }, 'stepping down to standby');
    this.o.deactivate(reason).catch((err: unknown) => this.o.logger.error({ err }, 'deactivation failed')).finally(() => {
      if (this.stopping) return;
      this.transition('deactivated');
      this.observe();
    });
  }

  /**
   * A node that cannot serve (a port in use, a journal it cannot open) must not hold the lease or
   * keep claiming epochs: it releases the lease so a healthy peer takes over at once, and stops.
   */
  private async giveUp(err: unknown): Promise<void> {
    this.o.logger.error({ err, epoch: this.epoch }, 'activation failed; releasing the lease and stopping');
    this.stopping = true;
    this.stopRenewal();
    clearTimeout(this.timer);
    this.role = 'stopped';
    await this.o.deactivate('activation failed').catch(() => undefined);
    try {
      this.files.writeLease({ epoch: this.epoch, owner: this.nodeId, beat: ++this.beat, leaseMs: this.o.leaseMs, released: true });
    } catch (e) {
      this.o.logger.warn({ err: e }, 'could not release the lease');
    }
    this.o.failed(err);
  }

  /**
   * Planned handoff: deactivate (the store syncs and closes), then release the lease so a standby
   * claims at once instead of waiting for expiry. With `stay`, this node then waits as a standby.
   */
  async handoff(stay: boolean): Promise<void> {
    if (this.role !== 'active') return;
    this.stopping = !stay;
    this.handingOff = true;
    this.transition(stay ? 'lost' : 'stop');
    try {
      await this.o.deactivate('handoff');
    } finally {
      this.handingOff = false;
      this.stopRenewal();
    }
    this.files.writeLease({ epoch: this.epoch, owner: this.nodeId, beat: ++this.beat, leaseMs: this.o.leaseMs, released: true });
    if (stay) {
      this.transition('deactivated');
      this.observe();
    }
  }

  /** Stops the node: an active hands off (releases its lease), a standby just stops watching. */
  async stop(): Promise<void> {
    if (this.role === 'active') await this.handoff(false);
    else if (this.role === 'activating' || this.role === 'stepping-down') {
      this.stopping = true;
      await this.o.deactivate('shutdown');
    }
    this.stopRenewal();
    clearTimeout(this.timer);
    this.role = 'stopped';
  }
}
