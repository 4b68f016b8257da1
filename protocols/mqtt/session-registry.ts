import type { Logger } from 'pino';
import type { Core, Principal } from '../../src/spi/index.js';
import { NEVER_EXPIRES, type MqttConfig } from './config.js';
import type { Deadlines } from './deadlines.js';
import type { StoredPublish } from './message-mapping.js';
import { MqttSession, type SessionHost, type SessionLink } from './session.js';
import type { SessionStore } from './session-store.js';
import type { WillManager } from './will.js';

export interface WillRequest {
  message: StoredPublish;
  delaySeconds: number;
}

export interface AcquireRequest {
  clientId: string;
  cleanStart: boolean;
  expirySeconds: number;
  principal: Principal;
  remoteAddress: string;
  will: WillRequest | undefined;
}

/** A connection holding a session, which a newer connection with the same client id can take over. */
export interface TakeoverLink extends SessionLink {
  takenOver(): void;
}

const SESSION_DEADLINE = 'session\u0000';

/**
 * The adapter's sessions by client id: taking one at CONNECT (resume, discard, take over),
 * releasing it when its connection ends (end it, or park it until its expiry deadline), expiring
 * it, and rebuilding every persisted session at start. Work on one client id runs one step at a
 * time, so two CONNECTs with the same id cannot interleave.
 */
export class SessionRegistry implements SessionHost {
  private readonly sessions = new Map<string, MqttSession>();
  private readonly locks = new Map<string, Promise<void>>();
  /** Sessions with QoS 1 deliveries in flight and not recorded yet. */
  private readonly unrecorded = new Set<MqttSession>();

  constructor(
    readonly core: Core,
    readonly config: MqttConfig,
    readonly store: SessionStore,
    readonly logger: Logger,
    private readonly deadlines: Deadlines,
    private readonly wills: WillManager,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  get(clientId: string): MqttSession | undefined {
    return this.sessions.get(clientId);
  }

  static clientIdOfDeadline(key: string): string | undefined {
    return key.startsWith(SESSION_DEADLINE) ? key.slice(SESSION_DEADLINE.length) : undefined;
  }

  private locked<T>(clientId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(clientId) ?? Promise.resolve();
    const run = previous.then(work);
    const tail = run.then(() => undefined, () => undefined);
    this.locks.set(clientId, tail);
    void tail.then(() => {
      if (this.locks.get(clientId) === tail) this.locks.delete(clientId);
    });
    return run;
  }

  /**
   * CONNECT takes the session of its client id: an existing connection is taken over
   * [MQTT-3.1.4-3]; clean start discards the old session [MQTT-3.1.2-4], otherwise it resumes
   * (`present`) [MQTT-3.1.2-5] — from memory, or from the store if the core had closed it.
   */
  acquire(req: AcquireRequest): Promise<{ session: MqttSession; present: boolean }> {
    return this.locked(req.clientId, async () => {
      const { clientId } = req;
      this.deadlines.cancel(SESSION_DEADLINE + clientId);
      let session = this.sessions.get(clientId);
      if (session?.link) {
        const old = session.link as TakeoverLink;
        session.detach(old);
        old.takenOver();
        await this.wills.connectionLost(clientId, session.expirySeconds, Date.now());
      }
      if (session && req.cleanStart) {
        await this.wills.fire(clientId); // the old session ends, and a will still waiting with it
        await this.endSession(session);
        session = undefined;
      }
      let present = session !== undefined;
      if (!session) {
        session = MqttSession.open(this, clientId, req.principal, req.remoteAddress, req.expirySeconds);
        try {
          present = await this.adoptPersisted(session, req.cleanStart);
        } catch (err) {
          await session.shutdown().catch(() => undefined);
          throw err;
        }
        this.sessions.set(clientId, session);
      }
      session.expirySeconds = req.expirySeconds;
      session.connected = true;
      session.deadline = null;
      // A new connection before the will delay passed cancels the waiting will [MQTT-3.1.3-9];
      // this connection's will, if any, takes its place.
      if (req.will) await this.wills.arm(clientId, req.will.message, req.will.delaySeconds);
      else await this.wills.cancel(clientId);
      await session.saveRecord(null);
      return { session, present };
    });
  }

  /** A persisted session not in memory (the core had closed it): resume it, or discard it on clean start. */
  private async adoptPersisted(session: MqttSession, cleanStart: boolean): Promise<boolean> {
    if (!this.store.hasSession(session.clientId)) return false;
    const recovered = this.store.recover(session.clientId).get(session.clientId);
    if (!recovered) return false;
    if (cleanStart || !recovered.record) {
      await session.discardPersisted(recovered);
      return false;
    }
    session.expirySeconds = recovered.record.expirySeconds;
    await session.restore(recovered, this.config.maxTopicLevels);
    return true;
  }

  /**
   * The session's connection is gone. A normal DISCONNECT discards the will [MQTT-3.1.2-10],
   * otherwise it is published or scheduled. A session with expiry 0 ends with its connection
   * (MQTT 5 §3.1.2.11.2); a persistent one is parked until its absolute, journaled deadline.
   */
  release(link: SessionLink, session: MqttSession, graceful: boolean): Promise<void> {
    return this.locked(session.clientId, async () => {
      if (session.link !== link || this.sessions.get(session.clientId) !== session) return; // taken over meanwhile
      session.detach(link);
      session.connected = false;
      const now = Date.now();
      if (graceful) await this.wills.cancel(session.clientId);
      else await this.wills.connectionLost(session.clientId, session.expirySeconds, now);
      if (!session.persistent) {
        await this.endSession(session);
        return;
      }
      session.deadline = session.expirySeconds === NEVER_EXPIRES ? null : now + session.expirySeconds * 1000;
      if (session.deadline !== null) this.deadlines.schedule(SESSION_DEADLINE + session.clientId, session.deadline);
      await session.saveRecord(null);
    });
  }

  /** A session's expiry deadline passed. */
  expire(clientId: string): Promise<void> {
    return this.locked(clientId, async () => {
      const session = this.sessions.get(clientId);
      if (!session || session.connected) return;
      await this.wills.fire(clientId); // the session ends: a will still waiting goes now
      await this.endSession(session);
    });
  }

  private async endSession(session: MqttSession): Promise<void> {
    if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId);
    this.deadlines.cancel(SESSION_DEADLINE + session.clientId);
    await session.end().catch((err: unknown) => this.logger.warn({ err, clientId: session.clientId }, 'could not end an MQTT session cleanly'));
  }

  needsRecording(session: MqttSession): void {
    this.unrecorded.add(session);
  }

  /** The shared timer: records QoS 1 deliveries unacknowledged for a whole tick. */
  tick(now: number): void {
    for (const session of this.unrecorded) {
      if (session.closed || session.recordInflight(now - this.config.tickMs)) this.unrecorded.delete(session);
    }
  }

  sessionLost(session: MqttSession): void {
    if (this.sessions.get(session.clientId) !== session) return;
    this.sessions.delete(session.clientId);
    this.deadlines.cancel(SESSION_DEADLINE + session.clientId);
  }

  /**
   * At start: every persisted session is rebuilt and parked, so that its queue bound applies and
   * its expiry runs. One that a connection held when the previous process stopped lost that
   * connection then; its expiry counts from now.
   */
  async restoreAll(): Promise<void> {
    const now = Date.now();
    for (const [clientId, recovered] of this.store.recover()) {
      if (this.sessions.has(clientId)) continue;
      const record = recovered.record;
      const principal: Principal = { name: record?.principal.name ?? 'mqtt', anonymous: record?.principal.anonymous ?? true };
      let session: MqttSession | undefined;
      try {
        session = MqttSession.open(this, clientId, principal, 'recovered', record?.expirySeconds ?? 0);
        if (!record) {
          await session.discardPersisted(recovered);
          await session.shutdown();
          continue;
        }
        await session.restore(recovered, this.config.maxTopicLevels);
        this.sessions.set(clientId, session);
        if (record.connected) {
          session.deadline = record.expirySeconds === NEVER_EXPIRES ? null : now + record.expirySeconds * 1000;
          await session.saveRecord(null);
        } else {
          session.deadline = record.deadline;
        }
        if (session.deadline !== null) this.deadlines.schedule(SESSION_DEADLINE + clientId, session.deadline);
      } catch (err) {
        this.logger.warn({ err, clientId }, 'could not restore an MQTT session');
        await session?.shutdown().catch(() => undefined);
      }
    }
    this.logger.info({ sessions: this.sessions.size }, 'MQTT sessions restored');
  }

  /** Expiry of a session for will scheduling (0 when there is none). */
  expiryOf(clientId: string): number {
    return this.sessions.get(clientId)?.expirySeconds ?? 0;
  }

  /** Broker shutdown or step-down: core sessions close, persisted state stays. */
  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.shutdown().catch(() => undefined)));
  }
}
