import type { Logger } from 'pino';
import type { AdapterState } from '../../src/spi/index.js';
import { decodeStoredPublish, encodeStoredPublish, type StoredPublish } from './message-mapping.js';
import { filterMatches } from './topic-mapping.js';

export const RETAINED_SPACE = 'mqtt.retained';

/**
 * Retained messages, one per topic, in core.state (key: the MQTT topic name, value: a
 * StoredPublish record). A PUBLISH with retain = 1 replaces the topic's message; one with an
 * empty payload removes it [MQTT-3.3.1-10] [MQTT-3.3.1-11]. Decoded messages are cached in memory.
 */
export class RetainedStore {
  private decoded: Map<string, StoredPublish> | undefined;

  constructor(
    private readonly state: AdapterState,
    private readonly maxMessages: number,
    private readonly logger: Logger,
  ) {}

  private cache(): Map<string, StoredPublish> {
    if (!this.decoded) {
      this.decoded = new Map();
      for (const [topic, bytes] of this.state.entries(RETAINED_SPACE)) {
        try {
          this.decoded.set(topic, decodeStoredPublish(bytes));
        } catch (err) {
          this.logger.warn({ err, topic }, 'skipping an unreadable retained message');
        }
      }
    }
    return this.decoded;
  }

  get size(): number {
    return this.cache().size;
  }

  /** Stores (or with an empty payload, clears) the retained message of `message.topic`. */
  set(message: StoredPublish): Promise<void> {
    const cache = this.cache();
    if (message.payload.length === 0) {
      if (!cache.delete(message.topic)) return Promise.resolve();
      return this.state.delete(RETAINED_SPACE, message.topic);
    }
    if (!cache.has(message.topic) && cache.size >= this.maxMessages) {
      this.logger.warn({ topic: message.topic, max: this.maxMessages }, 'retained message limit reached; not retained');
      return Promise.resolve();
    }
    cache.set(message.topic, message);
    return this.state.put(RETAINED_SPACE, message.topic, encodeStoredPublish(message));
  }

  /** The unexpired retained messages whose topics a filter matches; expired ones are removed on the way. */
  matching(filterLevels: readonly string[], now: number): StoredPublish[] {
    const out: StoredPublish[] = [];
    for (const [topic, message] of this.cache()) {
      if (message.expiresAt > 0 && message.expiresAt <= now) {
        this.cache().delete(topic);
        this.state.delete(RETAINED_SPACE, topic).catch((err: unknown) => this.logger.warn({ err }, 'could not remove an expired retained message'));
        continue;
      }
      if (filterMatches(filterLevels, topic.split('/'))) out.push(message);
    }
    return out;
  }
}
