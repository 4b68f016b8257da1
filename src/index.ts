/** Wharf's public API: load a configuration and start a broker with the built-in adapters. */
export { startBroker, type BrokerPorts, type BrokerRegistry, type RunningBroker } from './broker.js';
export { registry } from './cli/adapters.js';
export {
  ConfigError, configSchema, defaultConfig, layerFromObject, loadConfig, resolveConfig,
  type ConfigInputs, type DeepPartial, type ResolvedConfig,
} from './config/index.js';
export * from './spi/index.js';
