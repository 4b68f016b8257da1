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
import { HaNode, type HaRole } from './ha/ha-node.js';
import { BrokerError } from './spi/errors.js';
import type { Store } from './store/store.js';

/**
 * The composition root: config → admin → (HA node →) store → core → adapters → TLS material → listeners.
 * With the journal, an HA node decides when this process serves: the serving parts start when it
 * becomes active and stop when it steps down, as often as that happens.
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
  /** `active` serves clients; `standby` waits for the lease (HA); other values are transitions. */
  readonly role: HaRole | 'single';
  /** The HA epoch this process serves under (0 without HA). */
  readonly epoch: number;
  /** Actual ports while serving; empty on a standby. */
  readonly ports: BrokerPorts;
  /** e.g. `http://127.0.0.1:8162`; undefined when the admin listener is disabled. */
  readonly adminUrl: string | undefined;
  /** The core while serving; throws on a standby. */
  readonly core: BrokerCore;
  readonly adapters: readonly ProtocolAdapter[];
  /** PEM of the certificate the TLS and WSS listeners present (the self-signed one by default). */
  readonly tlsCa: string | undefined;
  /** Resolves once this process serves (at once without HA); rejects if the next activation fails. */
  whenServing(): Promise<void>;
  /** Rejects when the broker can no longer serve (a later activation failed); never resolves. */
  readonly failure: Promise<never>;
  /** Hands the lease to the standby at once and waits as a standby (HA only). */
  handoff(): Promise<void>;
  /** Graceful: an active hands over; then listeners, adapters, core, store and admin close. Idempotent. */
  stop(): Promise<void>;
}

/** What one activation started, so that stopping (or a failed start) undoes exactly that. */
interface ServingParts {
  store?: Store;
  core?: BrokerCore;
  adapters: ProtocolAdapter[];
  listeners?: OpenedListeners;
  ports: BrokerPorts;
  tlsCa?: string;
}

export async function startBroker(config: ResolvedConfig, registry: BrokerRegistry, options: { logger?: Logger } = {}): Promise<RunningBroker> {
  const logger = options.logger ?? createLogger(config.log.level);
  const dataDir = resolve(config.dataDir);
  const view: BrokerView = { adapters: [] };
  let serving: ServingParts | undefined;
  let ha: HaNode | undefined;
  let admin: AdminServer | undefined;
  let stopping: Promise<void> | undefined;
  /** Callers of whenServing(): told when an activation completes or fails. */
  let servingWaiters: Array<{ resolve(): void; reject(e: unknown): void }> = [];
  const settleWaiters = (error?: unknown): void => {
    const waiting = servingWaiters;
    servingWaiters = [];
    for (const w of waiting) (error === undefined ? w.resolve() : w.reject(error));
  };

  /** Opens the store under `epoch`, starts the core and adapters, then the listeners. */
  const activate = async (epoch: number, mayAcknowledge: () => boolean): Promise<void> => {
    const parts: ServingParts = { adapters: [], ports: {} };
    serving = parts;
    try {
      await startServing(parts, { config, registry, logger, dataDir, epoch, mayAcknowledge });
    } catch (e) {
      await stopServing(parts, logger).catch(() => undefined);
      serving = undefined;
      settleWaiters(e);
      throw e;
    }
    Object.assign(view, { core: parts.core, store: parts.store, adapters: parts.adapters });
    logger.info({ ports: parts.ports, adminUrl: admin?.url, store: config.store.kind, dataDir, epoch }, 'wharf started');
    settleWaiters();
  };

  const deactivate = async (): Promise<void> => {
    const parts = serving;
    serving = undefined;
    Object.assign(view, { core: undefined, store: undefined, adapters: [] });
    if (parts) await stopServing(parts, logger);
  };

  let reportFailure: (e: unknown) => void = () => undefined;
  const failure = new Promise<never>((_, reject) => (reportFailure = reject));
  failure.catch(() => undefined);
  const failWith = (e: unknown): void => {
    logger.fatal({ err: e }, 'this broker cannot serve');
    reportFailure(e);
  };

  const stop = (): Promise<void> => (stopping ??= (async () => {
    if (ha) await ha.stop();
    else await deactivate();
    await admin?.close();
    logger.info('wharf stopped');
  })());

  try {
    if (config.admin.enabled) {
      const { host, port } = config.admin;
      admin = await startAdminServer({
        host, port, logger: logger.child({ component: 'admin' }), view: () => view,
        operations: {
          handoff: async () => { await ha?.handoff(true); },
          crash: () => process.kill(process.pid, 'SIGKILL'),
          redrive: async (from, o) => {
            if (!serving?.core) throw new BrokerError('SHUTDOWN', 'this broker is not serving');
            return serving.core.redrive(from, o);
          },
        },
      });
    }
    if (config.store.kind === 'journal' && config.ha.enabled) {
      const node: HaNode = new HaNode({
        dataDir, leaseMs: config.ha.leaseMs, renewMs: config.ha.renewMs, pollMs: config.ha.pollMs,
        logger: logger.child({ component: 'ha' }),
        activate: (epoch) => activate(epoch, () => node.mayAcknowledge()),
        deactivate: () => deactivate(),
        failed: (e) => failWith(e),
      });
      ha = node;
      view.ha = { role: () => node.currentRole, epoch: () => node.currentEpoch };
      node.start();
      logger.info({ role: node.currentRole, epoch: node.currentEpoch }, 'ha node started');
      // Starting resolves once this process serves or waits as a standby; a failed first activation rejects.
      if (node.currentRole === 'activating') await new Promise<void>((res, rej) => servingWaiters.push({ resolve: res, reject: rej }));
    } else {
      await activate(0, () => true);
    }
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }

  const current = (): ServingParts => {
    if (!serving?.core) throw new BrokerError('SHUTDOWN', `this broker is not serving (role ${ha?.currentRole ?? 'stopped'})`);
    return serving;
  };
  return {
    config,
    logger,
    get role() { return ha?.currentRole ?? 'single'; },
    get epoch() { return ha?.currentEpoch ?? 0; },
    get ports() { return serving?.ports ?? {}; },
    adminUrl: admin?.url,
    get core() { return current().core!; },
    get adapters() { return serving?.adapters ?? []; },
    get tlsCa() { return serving?.tlsCa; },
    whenServing: () => (view.core ? Promise.resolve() : new Promise<void>((resolve, reject) => servingWaiters.push({ resolve, reject }))),
    handoff: async () => { await ha?.handoff(true); },
    failure,
    stop,
  };
}

interface ServingContext {
  config: ResolvedConfig;
  registry: BrokerRegistry;
  logger: Logger;
  dataDir: string;
  epoch: number;
  mayAcknowledge: () => boolean;
}

async function startServing(parts: ServingParts, c: ServingContext): Promise<void> {
  const { config, registry, logger, dataDir } = c;
  parts.store = createStore({ ...config.store, dataDir, epoch: c.epoch, mayAcknowledge: c.mayAcknowledge }, logger.child({ component: 'store' }));
  const core = (parts.core = new BrokerCore(coreConfigOf(config), parts.store, logger.child({ component: 'core' }), c.mayAcknowledge));
  await core.start();

  const byName = new Map<string, ProtocolAdapter>();
  for (const [name, factory] of Object.entries(registry.adapters)) {
    const adapter = factory({ core, logger: logger.child({ component: name }), config: adapterConfigOf(config, name) });
    byName.set(name, adapter);
    parts.adapters.push(adapter);
  }

  const plan = planListeners(config, [...byName].map(([name, a]) => ({ name, webSocketProtocols: a.webSocketProtocols })));
  const tls = needsTls(plan) ? await loadTlsMaterial({ dataDir, tls: config.tls }, logger.child({ component: 'tls' })) : undefined;
  parts.tlsCa = tls?.cert;
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
  for (const opened of parts.listeners.listeners) {
    logger.info({ listener: opened.name, host: opened.host, port: opened.port }, 'listening');
    for (const protocol of plan.find((l) => l.name === opened.name)!.protocols) {
      (parts.ports[protocol] ??= {})[opened.transport] = opened.port;
    }
  }
}

/** Shutdown in order; a failing step is logged and the rest still run; the first error is rethrown. */
async function stopServing(parts: ServingParts, logger: Logger): Promise<void> {
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
  if (errors.length > 0) throw errors[0];
}
