import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type BrokerPorts, type BrokerRegistry, type RunningBroker } from '../../src/broker.js';
import { defaultConfig } from '../../src/config/config-keys.js';
import { layerFromObject, type ConfigLayer } from '../../src/config/config-sources.js';
import { listenerSections } from '../../src/config/listener-plan.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import type { DeepPartial, ResolvedConfig } from '../../src/config/schema.js';
import type { BrokerCore } from '../../src/core/broker-core.js';

export interface TestBroker {
  /** Actual ports, e.g. `ports.stomp.tcp`, `ports.stomp.ws`. */
  ports: BrokerPorts;
  /** e.g. `http://127.0.0.1:40123`. */
  adminUrl: string;
  core: BrokerCore;
  /** The self-signed certificate's PEM: pass it as `ca` to trust the TLS and WSS listeners. */
  tlsCa: string;
  dataDir: string;
  config: ResolvedConfig;
  broker: RunningBroker;
  /** Stops the broker and removes its data directory. */
  stop(): Promise<void>;
}

/** Every listener (admin included) on 127.0.0.1, port 0. */
function ephemeralListeners(): ConfigLayer {
  const entries = listenerSections(defaultConfig()).flatMap(([path]) => [
    { path: `${path}.host`, value: '127.0.0.1', text: false, origin: 'test defaults' },
    { path: `${path}.port`, value: 0, text: false, origin: 'test defaults' },
  ]);
  return { entries, issues: [] };
}

/**
 * A broker for tests: every listener on 127.0.0.1 with an ephemeral port, a fresh temporary
 * data directory, silent logs; `overrides` win over all of that. Uses the real adapter registry
 * unless another is given (transport tests register their own adapters).
 */
export async function startTestBroker(overrides: DeepPartial<ResolvedConfig> = {}, registry?: BrokerRegistry): Promise<TestBroker> {
  const dataDir = await mkdtemp(join(tmpdir(), 'wharf-test-'));
  try {
    const config = resolveConfig([
      ephemeralListeners(),
      layerFromObject({ dataDir, log: { level: 'silent' } }, 'test defaults'),
      layerFromObject(overrides, 'test overrides'),
    ]);
    const broker = await startBroker(config, registry ?? (await import('../../src/cli/adapters.js')).registry);
    try {
      await broker.whenServing();
    } catch (e) {
      await broker.stop();
      throw e;
    }
    return {
      ports: broker.ports,
      adminUrl: broker.adminUrl ?? '',
      core: broker.core,
      tlsCa: broker.tlsCa ?? '',
      dataDir,
      config,
      broker,
      stop: async () => {
        await broker.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
}
