import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createMqttAdapter } from '../../../protocols/mqtt/index.js';
import type { MqttConfig } from '../../../protocols/mqtt/config.js';
import { openListeners, type ListenerSet } from '../../../protocols/transports/index.js';
import { BrokerCore, type CoreConfig } from '../../../src/core/index.js';
import type { ProtocolAdapter } from '../../../src/spi/index.js';
import { JournalStore } from '../../../src/store/journal/index.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { Store } from '../../../src/store/store.js';

const silent = pino({ level: process.env['MQTT_TEST_LOG'] ?? 'silent' });

export const CORE_DEFAULTS: CoreConfig = {
  brokerName: 'wharf-test',
  maxRedeliveries: 6,
  deadLetterQueue: 'ActiveMQ.DLQ',
  deadLetterNonPersistent: false,
  maxMessageBytes: 16 * 1024 * 1024,
  memoryLimitBytes: 512 * 1024 * 1024,
  expirySweepMs: 0,
  browseMaxMessages: 400,
  scheduledDelivery: false,
  maxScheduledRepeats: 1000,
  policies: [],
  duplicateWindowMs: 300_000,
  duplicateMaxIds: 100_000,
  users: [],
  allowAnonymous: true,
};

export type StoreKind = 'memory' | 'journal';

/**
 * A core and the MQTT adapter with any adapter settings (the broker's config schema does not know
 * the `mqtt.*` keys yet), over the real TCP and WS transports. restart() stops everything and
 * starts it again on the same store: the same MemoryStore (which keeps what was committed), or a
 * new JournalStore recovering the same directory from disk.
 */
export class MqttHarness {
  core!: BrokerCore;
  adapter!: ProtocolAdapter;
  port = 0;
  wsPort = 0;
  private store!: Store;
  private listeners!: ListenerSet;
  private readonly memory = new MemoryStore();
  private readonly journalDir: string | undefined;

  private constructor(
    readonly storeKind: StoreKind,
    private readonly mqttConfig: Partial<MqttConfig>,
    private readonly coreConfig: Partial<CoreConfig>,
  ) {
    if (storeKind === 'journal') this.journalDir = mkdtempSync(join(tmpdir(), 'wharf-mqtt-journal-'));
  }

  static async start(mqttConfig: Partial<MqttConfig> = {}, coreConfig: Partial<CoreConfig> = {}, storeKind: StoreKind = 'memory'): Promise<MqttHarness> {
    const h = new MqttHarness(storeKind, { tickMs: 50, ...mqttConfig }, coreConfig);
    await h.open();
    return h;
  }

  private async open(): Promise<void> {
    this.store = this.journalDir ? new JournalStore({ dir: this.journalDir }) : this.memory;
    this.core = new BrokerCore({ ...CORE_DEFAULTS, ...this.coreConfig }, this.store, silent);
    await this.core.start();
    this.adapter = createMqttAdapter({ core: this.core, logger: silent, config: { ...this.mqttConfig } });
    this.listeners = await openListeners(
      [
        { name: 'mqtt-tcp', transport: 'tcp', host: '127.0.0.1', port: this.port, adapters: [this.adapter] },
        { name: 'ws', transport: 'ws', host: '127.0.0.1', port: this.wsPort, adapters: [this.adapter] },
      ],
      { logger: silent, maxConnections: 20_000, writeHighWaterMarkBytes: 64 * 1024, maxWebSocketMessageBytes: 1 << 20, closeGraceMs: 100 },
    );
    this.port = this.listeners.listeners[0]!.port;
    this.wsPort = this.listeners.listeners[1]!.port;
  }

  /** Waits until the adapter has restored persisted sessions. */
  async ready(): Promise<void> {
    await (this.adapter as unknown as { ready: Promise<void> }).ready;
  }

  /** Stops adapter, core and listeners, then starts them again on the same store and ports. */
  async restart(): Promise<void> {
    await this.stop(false);
    await this.open();
    await this.ready();
  }

  /** Stops; `remove` also deletes a journal directory. */
  async stop(remove = true): Promise<void> {
    const closing = this.listeners.close();
    await this.adapter.close();
    await closing;
    await this.core.stop();
    if (this.store !== this.memory) await this.store.close();
    if (remove && this.journalDir) rmSync(this.journalDir, { recursive: true, force: true });
  }
}
