import { ConfigError } from './config-error.js';
import { defaultConfig, keysByPath, setPath } from './config-keys.js';
import { layerFromEnv, layerFromFile, layerFromFlags, type ConfigLayer } from './config-sources.js';
import { listenerSections } from './listener-plan.js';
import type { ResolvedConfig } from './schema.js';

/**
 * Merges layers over the defaults, later layers winning, checks every value and the rules that
 * span keys, and throws one ConfigError listing every problem.
 */
export function resolveConfig(layers: readonly ConfigLayer[]): ResolvedConfig {
  const config = defaultConfig();
  const issues = layers.flatMap((l) => l.issues);
  for (const entry of layers.flatMap((l) => l.entries)) {
    const { leaf } = keysByPath.get(entry.path)!;
    try {
      setPath(config, entry.path, leaf.check(entry.text ? leaf.fromText(entry.value as string) : entry.value));
    } catch (e) {
      issues.push(`${entry.path}: ${(e as Error).message} (${entry.origin})`);
    }
  }
  issues.push(...crossKeyIssues(config));
  if (issues.length > 0) throw new ConfigError(issues);
  return config;
}

export interface ConfigInputs {
  /** Command-line arguments after the command: flags and `--config FILE`. */
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** defaults < config file (`--config`) < `WHARF_*` environment variables < flags. */
export function loadConfig({ args = [], env = {} }: ConfigInputs): ResolvedConfig {
  const flags = layerFromFlags(args);
  const file = flags.configFile === undefined ? { entries: [], issues: [] } : layerFromFile(flags.configFile);
  return resolveConfig([file, layerFromEnv(env), flags]);
}

const ANY_HOST = new Set(['0.0.0.0', '::', '']);

function crossKeyIssues(config: ResolvedConfig): string[] {
  const issues: string[] = [];
  if ((config.tls.certFile === null) !== (config.tls.keyFile === null)) {
    issues.push('tls.certFile, tls.keyFile: set both or neither (neither: a self-signed certificate is used)');
  }
  const { maxMessageBytes, maxFrameBytes, maxWebSocketMessageBytes } = config.limits;
  if (maxFrameBytes < maxMessageBytes) {
    issues.push(`limits.maxFrameBytes: ${maxFrameBytes} is less than limits.maxMessageBytes (${maxMessageBytes}); a frame must hold the largest message`);
  }
  if (maxWebSocketMessageBytes < maxFrameBytes) {
    issues.push(`limits.maxWebSocketMessageBytes: ${maxWebSocketMessageBytes} is less than limits.maxFrameBytes (${maxFrameBytes}); a WebSocket message must hold the largest frame`);
  }
  if (config.stomp.heartbeatMaxMs < config.stomp.heartbeatMinMs) {
    issues.push(`stomp.heartbeatMaxMs: ${config.stomp.heartbeatMaxMs} is less than stomp.heartbeatMinMs (${config.stomp.heartbeatMinMs})`);
  }
  const bound = listenerSections(config).filter(([, l]) => l.enabled && l.port !== 0);
  for (let i = 0; i < bound.length; i++) {
    for (let j = i + 1; j < bound.length; j++) {
      const [pathA, a] = bound[i]!;
      const [pathB, b] = bound[j]!;
      const sameHost = a.host === b.host || ANY_HOST.has(a.host) || ANY_HOST.has(b.host);
      if (a.port === b.port && sameHost) issues.push(`${pathA}.port, ${pathB}.port: both listeners use port ${a.port}`);
    }
  }
  return issues;
}
