import type { Logger } from 'pino';
import type {
  AdapterContext, AdapterFactory, Core, CoreSession, ProtocolAdapter, TransportConnection,
} from '../../src/spi/index.js';
import type { AdapterServices } from './adapter-services.js';
import { resolveMqttConfig, type MqttConfig } from './config.js';
import { MqttConnection } from './connection.js';
import { Deadlines } from './deadlines.js';
import { routeApplicationMessage } from './handlers/publish.js';
import type { StoredPublish } from './message-mapping.js';
import { RetainedStore } from './retained.js';
import { SessionRegistry } from './session-registry.js';
import { SessionStore } from './session-store.js';
import { sysMessages, type MqttTraffic } from './sys-topics.js';
import { WillManager } from './will.js';

/** How long start-up waits between checks for the core to be serving. */
const SERVING_POLL_MS = 50;

/**
 * The MQTT 3.1, 3.1.1 and 5.0 adapter: our own session layer on mqtt-packet's codec, mapped onto
 * the core (see README.md in this folder). One shared timer serves every connection and session.
 */
class MqttAdapter implements ProtocolAdapter, AdapterServices {
  readonly name = 'mqtt';
  readonly webSocketProtocols = ['mqtt', 'mqttv3.1'] as const;
  readonly config: MqttConfig;
  readonly core: Core;
  readonly logger: Logger;
  readonly retained: RetainedStore;
  readonly sessions: SessionRegistry;
  readonly ready: Promise<void>;
  private readonly wills: WillManager;
  private readonly deadlines = new Deadlines();
  private readonly connections = new Set<MqttConnection>();
  private readonly timer: NodeJS.Timeout;
  private readonly sysTimer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  readonly traffic: MqttTraffic = { received: 0, sent: 0 };
  private willSession: CoreSession | undefined;
  private closed = false;

  constructor(context: AdapterContext) {
    this.config = resolveMqttConfig(context.config);
    this.core = context.core;
    this.logger = context.logger;
    this.retained = new RetainedStore(this.core.state, this.config.maxRetainedMessages, this.logger);
    this.wills = new WillManager(this.core.state, this.deadlines, (will) => this.publishWill(will), this.logger);
    const store = new SessionStore(this.core.state, this.logger);
    this.sessions = new SessionRegistry(this.core, this.config, store, this.logger, this.deadlines, this.wills);
    this.timer = setInterval(() => this.tick(), this.config.tickMs);
    this.timer.unref();
    if (this.config.sysIntervalMs > 0) {
      this.sysTimer = setInterval(() => this.publishSys(), this.config.sysIntervalMs);
      this.sysTimer.unref();
    }
    this.ready = this.start();
  }

  private async start(): Promise<void> {
    while (!this.core.serving && !this.closed) await new Promise((r) => setTimeout(r, SERVING_POLL_MS).unref());
    if (this.closed) return;
    try {
      await this.sessions.restoreAll();
      await this.wills.recover((clientId) => this.sessions.expiryOf(clientId), Date.now());
    } catch (err) {
      this.logger.error({ err }, 'MQTT state recovery failed');
    }
  }

  accept(transport: TransportConnection): void {
    if (this.closed) {
      transport.destroy();
      return;
    }
    const connection = new MqttConnection(transport, this);
    this.connections.add(connection);
    transport.onClose(() => this.connections.delete(connection));
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** The shared timer: connection checks (connect timeout, keep alive, frozen sockets) and deadlines. */
  private tick(): void {
    const now = Date.now();
    for (const connection of this.connections) connection.tick(now);
    this.sessions.tick(now);
    for (const key of this.deadlines.takeDue(now)) {
      const willOf = WillManager.clientIdOfDeadline(key);
      const sessionOf = SessionRegistry.clientIdOfDeadline(key);
      const work = willOf !== undefined ? this.wills.fire(willOf) : sessionOf !== undefined ? this.sessions.expire(sessionOf) : undefined;
      work?.catch((err: unknown) => this.logger.warn({ err, key }, 'an MQTT deadline failed'));
    }
  }

  /** Wills (their client is gone) and `$SYS` are published by the adapter's own core session. */
  private ownSession(): CoreSession {
    return (this.willSession ??= this.core.openSession(
      { principal: { name: 'mqtt-will', anonymous: false }, protocol: 'mqtt' },
      { deliver: () => undefined, consumerClosed: () => undefined, sessionClosed: () => (this.willSession = undefined) },
    ));
  }

  private publishWill(will: StoredPublish): Promise<void> {
    return routeApplicationMessage(this.ownSession(), this.retained, will, will.publisher);
  }

  private publishSys(): void {
    if (this.closed || !this.core.serving) return;
    const snapshot = {
      startedAt: this.startedAt, clientsConnected: this.connections.size, sessions: this.sessions.size,
      retained: this.retained.size, traffic: this.traffic,
    };
    for (const m of sysMessages(snapshot, Date.now())) {
      routeApplicationMessage(this.ownSession(), this.retained, m, '$SYS').catch((err: unknown) =>
        this.logger.debug({ err, topic: m.topic }, 'could not publish a $SYS topic'));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    clearInterval(this.sysTimer);
    for (const connection of this.connections) connection.shutdown();
    await this.sessions.close();
    await this.willSession?.close();
    this.willSession = undefined;
  }
}

export const createMqttAdapter: AdapterFactory = (context) => new MqttAdapter(context);
