export { ConfigError } from './config-error.js';
export { configKeys, defaultConfig, envNameOf, maskSecrets, type ConfigKey } from './config-keys.js';
export { layerFromEnv, layerFromFile, layerFromFlags, layerFromObject, type ConfigLayer } from './config-sources.js';
export { loadConfig, resolveConfig, type ConfigInputs } from './resolve-config.js';
export { configSchema, type DeepPartial, type ResolvedConfig } from './schema.js';
