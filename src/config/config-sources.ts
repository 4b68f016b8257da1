import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isLeaf } from './config-leaf.js';
import { ENV_PREFIX, keysByEnvName, keysByPath } from './config-keys.js';
import { configSchema } from './schema.js';

/** One value for one key from one source; `text` values still need the key's fromText(). */
export interface ConfigEntry {
  path: string;
  value: unknown;
  text: boolean;
  /** Where the value came from, for error messages: `environment variable WHARF_X`, ... */
  origin: string;
}

/** The entries of one source, and the problems found while reading it. */
export interface ConfigLayer {
  entries: ConfigEntry[];
  issues: string[];
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'a list' : typeof value;
}

/** A nested object (a parsed file, or programmatic overrides) checked against the schema's shape. */
export function layerFromObject(object: unknown, origin: string): ConfigLayer {
  const layer: ConfigLayer = { entries: [], issues: [] };
  if (object === null || object === undefined) return layer;
  walk(configSchema, object, '', origin, layer);
  return layer;
}

function walk(node: object, value: unknown, prefix: string, origin: string, layer: ConfigLayer): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const where = prefix === '' ? 'the configuration' : prefix;
    layer.issues.push(`${where}: expected a section with keys ${Object.keys(node).join(', ')}, got ${kindOf(value)} (${origin})`);
    return;
  }
  for (const [name, child] of Object.entries(value)) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    const schemaChild = (node as Record<string, unknown>)[name];
    if (schemaChild === undefined) layer.issues.push(`${path}: unknown key (${origin})`);
    else if (child === undefined) continue;
    else if (isLeaf(schemaChild)) layer.entries.push({ path, value: child, text: false, origin });
    else walk(schemaChild as object, child, path, origin, layer);
  }
}

/** A YAML or JSON file (JSON is read as JSON, anything else as YAML). */
export function layerFromFile(file: string): ConfigLayer {
  const origin = `config file ${file}`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { entries: [], issues: [`cannot read config file ${file}: ${(e as Error).message}`] };
  }
  let parsed: unknown;
  try {
    parsed = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    return { entries: [], issues: [`cannot parse config file ${file}: ${(e as Error).message}`] };
  }
  return layerFromObject(parsed, origin);
}

/** `WHARF_*` environment variables; an unknown `WHARF_*` variable is an error. */
export function layerFromEnv(env: NodeJS.ProcessEnv): ConfigLayer {
  const layer: ConfigLayer = { entries: [], issues: [] };
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const key = keysByEnvName.get(name);
    if (key) layer.entries.push({ path: key.path, value, text: true, origin: `environment variable ${name}` });
    else layer.issues.push(`${name}: unknown environment variable (no configuration key maps to it)`);
  }
  return layer;
}

export interface FlagsLayer extends ConfigLayer {
  /** The value of `--config FILE`, if given. */
  configFile?: string;
}

/**
 * Command-line flags: `--<key> <value>` or `--<key>=<value>` with the dotted key path
 * (`--stomp.tcp.port 61613`); a boolean key alone means true (`--admin.enabled`).
 * `--config FILE` names the configuration file.
 */
export function layerFromFlags(args: readonly string[]): FlagsLayer {
  const layer: FlagsLayer = { entries: [], issues: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      layer.issues.push(`unexpected argument ${JSON.stringify(arg)} (flags look like --stomp.tcp.port 61613)`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    const next = args[i + 1];
    const key = keysByPath.get(name);
    if (value === undefined) {
      const isBoolean = key?.leaf.type === 'boolean';
      const nextIsValue = next !== undefined && !next.startsWith('--');
      if (isBoolean && !(nextIsValue && typeof key.leaf.fromText(next) === 'boolean')) value = 'true';
      else if (nextIsValue) value = args[++i];
    }
    if (name === 'config') {
      if (value === undefined) layer.issues.push('--config needs a file name');
      else layer.configFile = value;
    } else if (!key) {
      layer.issues.push(`unknown flag --${name} (see "wharf --help" for the keys)`);
    } else if (value === undefined) {
      layer.issues.push(`${name}: flag --${name} needs a value`);
    } else {
      layer.entries.push({ path: name, value, text: true, origin: `flag --${name}` });
    }
  }
  return layer;
}
