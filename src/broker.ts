import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { startAdminServer, type AdminServer } from './admin/admin-server.js';
import type { BrokerView } from './admin/broker-view.js';
import { adapterConfigOf, coreConfigOf } from './config/component-config.js';
import { needsTls, planListeners } from './config/listener-plan.js';
import type { ResolvedConfig, TransportName } from './config/schema.js';
import { loadTlsMaterial } from './config/tls-material.js';
import { BrokerCore } from './core/broker-core.js';
import { createLogger } from './observe/logger.js';
import type { AdapterFactory, ProtocolAdapter } from './spi/index.js';
import { createStore } from './store/create-store.js';
import type { Store } from './store/store.js';

/**
 * The composition root: config → admin → store → core → adapters → TLS material → listeners.
 *
 * src/ never imports protocols/, so the adapters and the transports come in through a
 * BrokerRegistry; src/cli/adapters.ts builds the real one.
 */

export interface ListenerRequest {
  name: string;
  transport: TransportName;
  host: string;
  port: number;
  adapters: readonly ProtocolAdapter[];
}

export interface ListenerOptions {
  logger: Logger;
  maxConnections: number;
  writeHighWaterMarkBytes: number;
  maxWebSocketMessageBytes: number;
  tls?: { cert: string; key: string };
  closeGraceMs: number;
}

export interface OpenedListeners {
  readonly listeners: ReadonlyArray<{ readonly name: string; readonly transport: TransportName; readonly host: string; readonly port: number }>;
  /** Stops accepting; resolves when every server is closed. */
  close(): Promise<void>;
}

export interface BrokerRegistry {
  /** Adapter factories by protocol name, which is also the name of their configuration section. */
  adapters: Readonly<Record<string, AdapterFactory>>;
  /** The transports (protocols/transports openListeners). */
  openListeners(requests: readonly ListenerRequest[], options: ListenerOptions): Promise<OpenedListeners>;
}

/** Actual ports by protocol and transport, e.g. `ports.stomp.tcp`; WS/WSS ports appear under every protocol they serve. */
export type BrokerPorts = Record<string, Partial<Record<TransportName, number>>>;

export interface RunningBroker {
  readonly config: ResolvedConfig;
  readonly logger: Logger;
  readonly ports: BrokerPorts;
  /** e.g. `http://127.0.0.1:8162`; undefined when the admin listener is disabled. */
  readonly adminUrl: string | undefined;
  readonly core: BrokerCore;
  readonly adapters: readonly ProtocolAdapter[];
  /** PEM of the certificate the TLS and WSS listeners present (the self-signed one by default). */
  readonly tlsCa: string | undefined;
  /** Graceful: stops accepting, closes adapters (and their connections), stops the core, closes the store. Idempotent. */
  stop(): Promise<void>;
}

/** What has been started so far, so that stop() (and a failed start) undoes exactly that. */
interface Parts {
  admin?: AdminServer;
  store?: Store;
  core?: BrokerCore;
  adapters: ProtocolAdapter[];
  listeners?: OpenedListeners;
}

export async function startBroker(config: ResolvedConfig, registry: BrokerRegistry, options: { logger?: Logger } = {}): Promise<RunningBroker> {
  const logger = options.logger ?? createLogger(config.log.level);
  const dataDir = resolve(config.dataDir);
  const parts: Parts = { adapters: [] };
  const view: BrokerView = { adapters: [] };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= stopParts(parts, logger));

  try {
    if (config.admin.enabled) {
      const { host, port } = config.admin;
      parts.admin = await startAdminServer({ host, port, logger: logger.child({ component: 'admin' }), view: () => view });
    }

    parts.store = createStore({ kind: config.store.kind, dataDir }, logger.child({ component: 'store' }));
    view.store = parts.store;
    const core = (parts.core = new BrokerCore(coreConfigOf(config), parts.store, logger.child({ component: 'core' })));
    await core.start();

    const byName = new Map<string, ProtocolAdapter>();
    for (const [name, factory] of Object.entries(registry.adapters)) {
      const adapter = factory({ core, logger: logger.child({ component: name }), config: adapterConfigOf(config, name) });
      byName.set(name, adapter);
      parts.adapters.push(adapter);
    }
    view.adapters = parts.adapters;

    const plan = planListeners(config, [...byName].map(([name, a]) => ({ name, webSocketProtocols: a.webSocketProtocols })));
    const tls = needsTls(plan) ? await loadTlsMaterial({ dataDir, tls: config.tls }, logger.child({ component: 'tls' })) : undefined;
    parts.listeners = await registry.openListeners(
      plan.map((l) => ({ ...l, adapters: l.protocols.map((p) => byName.get(p)!) })),
      {
        logger: logger.child({ component: 'transport' }),
        maxConnections: config.limits.maxConnections,
        writeHighWaterMarkBytes: config.limits.writeHighWaterMarkBytes,
        maxWebSocketMessageBytes: config.limits.maxWebSocketMessageBytes,
        closeGraceMs: config.limits.closeTimeoutMs,
        ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
      },
    );
    view.core = core;

    const ports: BrokerPorts = {};
    for (const opened of parts.listeners.listeners) {
      logger.info({ listener: opened.name, host: opened.host, port: opened.port }, 'listening');
      for (const protocol of plan.find((l) => l.name === opened.name)!.protocols) {
        (ports[protocol] ??= {})[opened.transport] = opened.port;
      }
    }
    const adminUrl = parts.admin?.url;
    logger.info({ ports, adminUrl, store: config.store.kind, dataDir }, 'wharf started');
    return { config, logger, ports, adminUrl, core, adapters: parts.adapters, tlsCa: tls?.cert, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Shutdown in order; a failing step is logged and the rest still run; the first error is rethrown. */
async function stopParts(parts: Parts, logger: Logger): Promise<void> {
  const errors: unknown[] = [];
  const step = async (name: string, run: () => Promise<void> | undefined): Promise<void> => {
    try {
      await run();
    } catch (err) {
      logger.error({ err, step: name }, 'shutdown step failed');
      errors.push(err);
    }
  };
  // Stop accepting first; the servers finish closing once the adapters have closed their connections.
  const listenersClosed = parts.listeners?.close();
  await Promise.all(parts.adapters.map((a) => step(`close ${a.name} adapter`, () => a.close())));
  await step('close listeners', () => listenersClosed);
  await step('stop core', () => parts.core?.stop());
  await step('close store', () => parts.store?.close());
  await step('close admin', () => parts.admin?.close());
  logger.info('wharf stopped');
  if (errors.length > 0) throw errors[0];
}
