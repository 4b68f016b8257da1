import type { Logger } from 'pino';
import type { QoS } from 'mqtt-packet';
import type { AdapterState } from '../../src/spi/index.js';

/**
 * Persistent session state in core.state (journaled with the messages), in three spaces:
 *
 *   mqtt.sessions  key: client id            value: JSON SessionRecord
 *   mqtt.inflight  key: client id U+0000 id  value: JSON InflightRecord (outbound QoS 1/2)
 *   mqtt.inbound   key: client id U+0000 id  value: empty (inbound QoS 2 received, PUBREL not yet)
 *
 * Client ids never contain U+0000 (the codec refuses it, [MQTT-1.5.4-2]), so the keys are
 * unambiguous. The queued messages themselves are the core's: each non-shared subscription of a
 * persistent session is a durable subscription named by its filter under the client id.
 */
export const SESSIONS_SPACE = 'mqtt.sessions';
export const INFLIGHT_SPACE = 'mqtt.inflight';
export const INBOUND_SPACE = 'mqtt.inbound';

export interface StoredSubscription {
  /** The filter as subscribed, `$share/...` included. */
  filter: string;
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
  id?: number;
}

export interface SessionRecord {
  expirySeconds: number;
  /** A connection held the session when this was written (after a crash: it was lost then). */
  connected: boolean;
  /** When the offline session expires, ms since the epoch; null: never (or connected). */
  deadline: number | null;
  /** Whom the session's core session acts for after a restart. */
  principal: { name: string; anonymous: boolean };
  subscriptions: StoredSubscription[];
  /** Durable subscriptions being removed (finished on recovery if a crash cut it short). */
  removing?: string[];
}

export interface InflightRecord {
  packetId: number;
  /** Order of first sending, for resending in the original order [MQTT-4.6.0-1]. */
  seq: number;
  qos: 1 | 2;
  /** `published`: PUBLISH sent, PUBACK/PUBREC awaited; `released`: PUBREL sent, PUBCOMP awaited. */
  state: 'published' | 'released';
  messageId: string;
  retain: boolean;
  subscriptionIds?: number[];
  /** For a retained message (not held by the core): the StoredPublish record, base64. */
  retained?: string;
}

export interface RecoveredSession {
  record: SessionRecord | undefined;
  inflight: InflightRecord[];
  inbound: number[];
}

const SEP = '\u0000';
const key = (clientId: string, packetId: number): string => `${clientId}${SEP}${packetId}`;
const EMPTY = new Uint8Array(0);

export class SessionStore {
  constructor(
    private readonly state: AdapterState,
    private readonly logger: Logger,
  ) {}

  /** Every persisted session (or, with `only`, one client's), grouped by client id. */
  recover(only?: string): Map<string, RecoveredSession> {
    const out = new Map<string, RecoveredSession>();
    const entry = (clientId: string): RecoveredSession | undefined => {
      if (only !== undefined && clientId !== only) return undefined;
      let r = out.get(clientId);
      if (!r) out.set(clientId, (r = { record: undefined, inflight: [], inbound: [] }));
      return r;
    };
    const sessions = only === undefined ? this.state.entries(SESSIONS_SPACE) : single(only, this.state.get(SESSIONS_SPACE, only));
    for (const [clientId, bytes] of sessions) {
      const record = this.parse<SessionRecord>(bytes, SESSIONS_SPACE, clientId);
      if (record) entry(clientId)!.record = record;
    }
    for (const [k, bytes] of this.state.entries(INFLIGHT_SPACE)) {
      const target = entry(k.slice(0, k.lastIndexOf(SEP)));
      const record = target && this.parse<InflightRecord>(bytes, INFLIGHT_SPACE, k);
      if (record) target.inflight.push(record);
    }
    for (const k of this.state.entries(INBOUND_SPACE).keys()) {
      entry(k.slice(0, k.lastIndexOf(SEP)))?.inbound.push(Number(k.slice(k.lastIndexOf(SEP) + 1)));
    }
    for (const r of out.values()) r.inflight.sort((a, b) => a.seq - b.seq);
    return out;
  }

  hasSession(clientId: string): boolean {
    return this.state.get(SESSIONS_SPACE, clientId) !== undefined;
  }

  private parse<T>(bytes: Uint8Array, space: string, k: string): T | undefined {
    try {
      return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as T;
    } catch (err) {
      this.logger.warn({ err, space, key: k }, 'skipping an unreadable MQTT session record');
      return undefined;
    }
  }

  saveSession(clientId: string, record: SessionRecord): Promise<void> {
    return this.state.put(SESSIONS_SPACE, clientId, json(record));
  }

  deleteSession(clientId: string): Promise<void> {
    return this.state.delete(SESSIONS_SPACE, clientId);
  }

  saveInflight(clientId: string, record: InflightRecord): Promise<void> {
    return this.state.put(INFLIGHT_SPACE, key(clientId, record.packetId), json(record));
  }

  deleteInflight(clientId: string, packetId: number): Promise<void> {
    return this.state.delete(INFLIGHT_SPACE, key(clientId, packetId));
  }

  saveInbound(clientId: string, packetId: number): Promise<void> {
    return this.state.put(INBOUND_SPACE, key(clientId, packetId), EMPTY);
  }

  deleteInbound(clientId: string, packetId: number): Promise<void> {
    return this.state.delete(INBOUND_SPACE, key(clientId, packetId));
  }
}

function single(k: string, v: Uint8Array | undefined): Map<string, Uint8Array> {
  return v ? new Map([[k, v]]) : new Map();
}

function json(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value), 'utf8');
}
