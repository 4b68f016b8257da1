import { configKeys } from '../config/config-keys.js';

export function usage(version: string): string {
  const width = Math.max(...configKeys.map((k) => k.path.length)) + 2;
  const keys = configKeys.map((k) => `  ${k.path.padEnd(width)}${JSON.stringify(k.leaf.default)}`);
  return `Wharf ${version}: a multi-protocol message broker

Usage:
  wharf start  [--config FILE] [--KEY VALUE]...   start the broker (SIGTERM/SIGINT stop it gracefully)
  wharf config [--config FILE] [--KEY VALUE]...   print the resolved configuration, secrets masked
  wharf version                                   print the version
  wharf help                                      print this text

Configuration, later sources winning: defaults < --config FILE (YAML, or JSON if it ends in .json)
< environment variables WHARF_<KEY> (the key in upper snake case: WHARF_STOMP_TCP_PORT=61613)
< flags --KEY VALUE or --KEY=VALUE (--stomp.tcp.port 61613). Booleans: true/false, 1/0, yes/no,
on/off; a boolean flag alone means true. core.users from the environment or a flag is JSON.
Invalid configuration exits with code 2.

Keys and defaults (README.md documents each):
${keys.join('\n')}
`;
}
