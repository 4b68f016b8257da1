import type { Logger } from 'pino';
import type { Core } from '../../src/spi/index.js';
import type { MqttConfig } from './config.js';
import type { RetainedStore } from './retained.js';
import type { SessionRegistry } from './session-registry.js';
import type { MqttTraffic } from './sys-topics.js';

/** What connections and packet handlers use of the adapter. */
export interface AdapterServices {
  readonly config: MqttConfig;
  readonly core: Core;
  readonly logger: Logger;
  readonly retained: RetainedStore;
  readonly sessions: SessionRegistry;
  /** Counted for `$SYS`. */
  readonly traffic: MqttTraffic;
  /** Resolves once the persisted sessions are restored (CONNECT waits for it). */
  readonly ready: Promise<void>;
}
