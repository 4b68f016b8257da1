import { createAmqpAdapter } from '../../../../protocols/amqp/index.js';
import { openListeners } from '../../../../protocols/transports/index.js';
import type { DeepPartial, ResolvedConfig } from '../../../../src/config/schema.js';
import type { AdapterFactory } from '../../../../src/spi/index.js';
import { startTestBroker, type TestBroker } from '../../../helpers/broker.js';

/**
 * A test broker serving AMQP (and, when asked, other adapters) on every transport, with its
 * own registry so that these tests depend on no adapter but the ones they use. The journal is
 * the store (the default); the HA lease is off unless a test turns it on: with a 600 ms lease a
 * loaded CI machine can starve the event loop long enough for the broker to step down, which
 * is HA doing its job, not what these tests are about.
 */
export function startAmqpBroker(
  overrides: DeepPartial<ResolvedConfig> = {},
  extra: Record<string, AdapterFactory> = {},
): Promise<TestBroker> {
  const config = { ...overrides, ha: { enabled: false, ...overrides.ha } };
  return startTestBroker(config, { adapters: { amqp: createAmqpAdapter, ...extra }, openListeners });
}
