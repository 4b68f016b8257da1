import type { Logger } from 'pino';
import type { AdapterState } from '../../src/spi/index.js';
import type { Deadlines } from './deadlines.js';
import { decodeStoredPublish, encodeStoredPublish, type StoredPublish } from './message-mapping.js';

export const WILLS_SPACE = 'mqtt.wills';

/** Extra fields of a will record (a StoredPublish record, key: client id). */
interface WillExtra {
  delaySeconds: number;
  /** When to publish, ms since the epoch; null while the client's connection is up. */
  deadline: number | null;
}

const deadlineKey = (clientId: string): string => `will\u0000${clientId}`;

/**
 * Will messages: stored in core.state when the client connects, so that a broker (or the
 * standby taking over) publishes the wills of the connections it lost; deleted on a normal
 * DISCONNECT [MQTT-3.1.2-10]; published when the connection ends otherwise [MQTT-3.1.2-8],
 * after the Will Delay Interval or when the session ends, whichever is first (MQTT 5 §3.1.3.2.2).
 * Pending deadlines are absolute and journaled; one shared timer (Deadlines) fires them.
 */
export class WillManager {
  constructor(
    private readonly state: AdapterState,
    private readonly deadlines: Deadlines,
    private readonly publish: (will: StoredPublish) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /** Stores the will of a connection that just connected (replacing any earlier one). */
  arm(clientId: string, will: StoredPublish, delaySeconds: number): Promise<void> {
    this.deadlines.cancel(deadlineKey(clientId));
    const extra: WillExtra = { delaySeconds, deadline: null };
    return this.state.put(WILLS_SPACE, clientId, encodeStoredPublish(will, extra));
  }

  /** Drops the client's will: normal disconnect, or a new connection to the session before the delay passed [MQTT-3.1.3-9]. */
  cancel(clientId: string): Promise<void> {
    this.deadlines.cancel(deadlineKey(clientId));
    if (!this.state.get(WILLS_SPACE, clientId)) return Promise.resolve();
    return this.state.delete(WILLS_SPACE, clientId);
  }

  /** The connection ended without a normal DISCONNECT: publish now, or schedule after the delay. */
  async connectionLost(clientId: string, sessionExpirySeconds: number, now: number): Promise<void> {
    const stored = this.read(clientId);
    if (!stored) return;
    const delaySeconds = Math.min(stored.delaySeconds, sessionExpirySeconds);
    if (delaySeconds <= 0) {
      await this.fire(clientId);
      return;
    }
    const deadline = now + delaySeconds * 1000;
    this.deadlines.schedule(deadlineKey(clientId), deadline);
    const { delaySeconds: d, deadline: _old, ...will } = stored;
    await this.state.put(WILLS_SPACE, clientId, encodeStoredPublish(will, { delaySeconds: d, deadline }));
  }

  /** Publishes a pending will now (its delay passed, or its session ended) and forgets it. */
  async fire(clientId: string): Promise<void> {
    this.deadlines.cancel(deadlineKey(clientId));
    const stored = this.read(clientId);
    if (!stored) return;
    await this.state.delete(WILLS_SPACE, clientId);
    const { delaySeconds: _d, deadline: _dl, ...will } = stored;
    await this.publish(will);
  }

  /** The client id behind a due deadline key of ours, if it is one. */
  static clientIdOfDeadline(key: string): string | undefined {
    return key.startsWith('will\u0000') ? key.slice(5) : undefined;
  }

  /**
   * After a restart or failover: wills of connections that were up when the previous process
   * stopped start their delay now; scheduled ones keep their deadline.
   */
  async recover(sessionExpiryOf: (clientId: string) => number, now: number): Promise<void> {
    for (const clientId of [...this.state.entries(WILLS_SPACE).keys()]) {
      const stored = this.read(clientId);
      if (!stored) continue;
      if (stored.deadline === null) await this.connectionLost(clientId, sessionExpiryOf(clientId), now);
      else this.deadlines.schedule(deadlineKey(clientId), stored.deadline);
    }
  }

  private read(clientId: string): (StoredPublish & WillExtra) | undefined {
    const bytes = this.state.get(WILLS_SPACE, clientId);
    if (!bytes) return undefined;
    try {
      return decodeStoredPublish<WillExtra>(bytes);
    } catch (err) {
      this.logger.warn({ err, clientId }, 'dropping an unreadable will');
      void this.state.delete(WILLS_SPACE, clientId);
      return undefined;
    }
  }
}
