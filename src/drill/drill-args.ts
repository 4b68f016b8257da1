import { parseHostPort, type HostPort } from './drill-protocol.js';
import { DEFAULT_DRILL_SETTINGS, type DrillSettings } from './drill-run.js';
import type { PairNode } from './pair.js';

export interface DrillArgs {
  settings: DrillSettings;
  repeat: number;
  json: string | undefined;
  /** Local pair: keep its directory (data and logs) afterwards. */
  keep: boolean;
  /** Set for a remote pair (--admin-a/--admin-b); the protocols are those given addresses for. */
  remote: { nodes: [PairNode, PairNode]; protocols: string[] } | undefined;
}

export class DrillUsageError extends Error {}

/** Flags with a number value, by the settings field they set. */
const NUMBERS: Record<string, keyof DrillSettings> = {
  '--rate': 'rateMsgPerS',
  '--producers': 'producers',
  '--consumers': 'consumers',
  '--prefetch': 'prefetch',
  '--warmup-ms': 'warmupMs',
  '--after-ms': 'afterMs',
  '--drain-ms': 'drainMs',
  '--takeover-timeout-ms': 'takeoverTimeoutMs',
  '--progress-ms': 'progressMs',
};

/** Parses `wharf drill` flags; `protocols` are those the drill has clients for (their `--<p>-a/-b` flags exist). */
export function parseDrillArgs(args: readonly string[], protocols: readonly string[]): DrillArgs {
  const settings: DrillSettings = { ...DEFAULT_DRILL_SETTINGS };
  let repeat = 1;
  let json: string | undefined;
  let keep = false;
  const admin: Record<string, string> = {};
  const addresses: Record<string, Record<string, HostPort>> = { a: {}, b: {} };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.includes('=') ? args[i]!.split(/=(.*)/s, 2) as [string, string] : [args[i]!, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new DrillUsageError(`${flag} needs a value`);
      return v;
    };
    const count = (min: number): number => {
      const text = value();
      const n = Number(text);
      if (!Number.isSafeInteger(n) || n < min) throw new DrillUsageError(`${flag}: expected an integer ≥ ${min}, got ${JSON.stringify(text)}`);
      return n;
    };
    const node = /^--(admin|[a-z]+)-(a|b)$/.exec(flag);
    if (flag === '--mode') {
      const mode = value();
      if (mode !== 'hard' && mode !== 'graceful') throw new DrillUsageError(`--mode: expected hard or graceful, got ${JSON.stringify(mode)}`);
      settings.mode = mode;
    } else if (flag === '--repeat') repeat = count(1);
    else if (flag === '--json') json = value();
    else if (flag === '--strict') settings.strict = true;
    else if (flag === '--keep') keep = true;
    else if (NUMBERS[flag]) (settings[NUMBERS[flag]] as number) = count(flag.endsWith('-ms') ? 0 : 1);
    else if (node && node[1] === 'admin') admin[node[2]!] = value().replace(/\/+$/, '');
    else if (node && protocols.includes(node[1]!)) {
      try {
        addresses[node[2]!]![node[1]!] = parseHostPort(value());
      } catch (e) {
        throw new DrillUsageError(`${flag}: ${(e as Error).message}`);
      }
    } else throw new DrillUsageError(`unknown flag ${flag}`);
  }
  return { settings, repeat, json, keep, remote: remoteOf(admin, addresses) };
}

function remoteOf(admin: Record<string, string>, addresses: Record<string, Record<string, HostPort>>): DrillArgs['remote'] {
  const given = new Set([...Object.keys(addresses.a!), ...Object.keys(addresses.b!)]);
  if (!admin.a && !admin.b) {
    if (given.size > 0) throw new DrillUsageError('client addresses are for a remote pair: give --admin-a and --admin-b too');
    return undefined;
  }
  if (!admin.a || !admin.b) throw new DrillUsageError('a remote pair needs both --admin-a and --admin-b');
  for (const url of [admin.a, admin.b]) {
    if (!/^https?:\/\/[^/]+/.test(url)) throw new DrillUsageError(`admin URL ${JSON.stringify(url)}: expected http://host:port`);
  }
  const protocols = [...given];
  for (const p of protocols) {
    if (!addresses.a![p] || !addresses.b![p]) throw new DrillUsageError(`give both --${p}-a and --${p}-b`);
  }
  if (protocols.length === 0) throw new DrillUsageError('a remote pair needs client addresses, e.g. --stomp-a host:61613 --stomp-b host:61613');
  return {
    nodes: [{ name: 'a', adminUrl: admin.a, addresses: addresses.a! }, { name: 'b', adminUrl: admin.b, addresses: addresses.b! }],
    protocols,
  };
}
