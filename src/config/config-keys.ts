import { isLeaf, type ConfigLeaf } from './config-leaf.js';
import { configSchema, type ResolvedConfig } from './schema.js';

export interface ConfigKey {
  /** Dotted path, e.g. `stomp.tcp.port`; also the flag name (`--stomp.tcp.port`). */
  path: string;
  /** `WHARF_` + the path in upper snake case, e.g. `WHARF_STOMP_TCP_PORT`. */
  envName: string;
  leaf: ConfigLeaf<unknown>;
}

export const ENV_PREFIX = 'WHARF_';

export function envNameOf(path: string): string {
  const snake = path
    .split('.')
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2'))
    .join('_')
    .toUpperCase();
  return ENV_PREFIX + snake;
}

function flatten(node: object, prefix: string, out: ConfigKey[]): ConfigKey[] {
  for (const [name, child] of Object.entries(node)) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    if (isLeaf(child)) out.push({ path, envName: envNameOf(path), leaf: child });
    else flatten(child as object, path, out);
  }
  return out;
}

/** Every key of the schema, in schema order. */
export const configKeys: readonly ConfigKey[] = flatten(configSchema, '', []);

export const keysByPath: ReadonlyMap<string, ConfigKey> = new Map(configKeys.map((k) => [k.path, k]));
export const keysByEnvName: ReadonlyMap<string, ConfigKey> = new Map(configKeys.map((k) => [k.envName, k]));

export function getPath(root: object, path: string): unknown {
  return path.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], root);
}

export function setPath(root: object, path: string, value: unknown): void {
  const parts = path.split('.');
  const last = parts.pop()!;
  const parent = parts.reduce<Record<string, unknown>>((node, part) => node[part] as Record<string, unknown>, root as Record<string, unknown>);
  parent[last] = value;
}

/** A fresh copy of the defaults. */
export function defaultConfig(): ResolvedConfig {
  const config = {};
  for (const key of configKeys) {
    const parts = key.path.split('.');
    let node = config as Record<string, unknown>;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]!] = structuredClone(key.leaf.default);
  }
  return config as ResolvedConfig;
}

/** The configuration as `wharf config` prints it: secrets masked. */
export function maskSecrets(config: ResolvedConfig): unknown {
  const copy = structuredClone(config);
  for (const key of configKeys) {
    if (key.leaf.mask) setPath(copy, key.path, key.leaf.mask(getPath(config, key.path)));
  }
  return copy;
}
