import { configKeys } from '../config/config-keys.js';

export function usage(version: string): string {
  const width = Math.max(...configKeys.map((k) => k.path.length)) + 2;
  const keys = configKeys.map((k) => `  ${k.path.padEnd(width)}${JSON.stringify(k.leaf.default)}`);
  return `Wharf ${version}: a multi-protocol message broker

Usage:
  wharf start  [--config FILE] [--KEY VALUE]...   start the broker (SIGTERM/SIGINT stop it gracefully)
  wharf config [--config FILE] [--KEY VALUE]...   print the resolved configuration, secrets masked
  wharf drill  [DRILL FLAGS]                      run a failover drill on an active/standby pair (below)
  wharf version                                   print the version
  wharf help                                      print this text

Configuration, later sources winning: defaults < --config FILE (YAML, or JSON if it ends in .json)
< environment variables WHARF_<KEY> (the key in upper snake case: WHARF_STOMP_TCP_PORT=61613)
< flags --KEY VALUE or --KEY=VALUE (--stomp.tcp.port 61613). Booleans: true/false, 1/0, yes/no,
on/off; a boolean flag alone means true. core.users from the environment or a flag is JSON.
Invalid configuration exits with code 2.

Drill flags (README.md, "Active/standby pair and failover drills"): without --admin-a/-b the drill
starts a local pair itself (two \`wharf start\` on a temporary data directory, free ports).
  --mode hard|graceful       hard: SIGKILL (local) or POST /api/crash (remote); graceful: SIGTERM
                             (local) or POST /api/handoff (remote)                      [hard]
  --rate N                   messages per second, all producers together                [200]
  --producers N --consumers N   per protocol                                            [2, 2]
  --repeat N                 runs in a row; prints min/median/p90/max                   [1]
  --json FILE                write every result as JSON
  --strict                   fail on duplicates and reordering too, not only on loss
  --warmup-ms N --after-ms N --drain-ms N --takeover-timeout-ms N   [2000, 1000, 10000, 30000]
  --keep                     keep the local pair's data and logs (always kept on FAIL)
  --admin-a URL --admin-b URL --stomp-a HOST:PORT --stomp-b HOST:PORT   a remote pair
Exit codes: 0 PASS, 1 FAIL, 2 usage.

Keys and defaults (README.md documents each):
${keys.join('\n')}
`;
}
