#!/usr/bin/env node
import { stringify } from 'yaml';
import { startBroker, type RunningBroker } from '../broker.js';
import { ConfigError } from '../config/config-error.js';
import { maskSecrets } from '../config/config-keys.js';
import { loadConfig } from '../config/resolve-config.js';
import type { ResolvedConfig } from '../config/schema.js';
import { packageVersion } from './package-root.js';
import { usage } from './usage.js';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

const HELP = new Set(['help', '--help', '-h']);
const VERSION = new Set(['version', '--version', '-v']);

function fail(message: string, code: number): number {
  process.stderr.write(`wharf: ${message}\n`);
  return code;
}

function configFrom(args: readonly string[]): ResolvedConfig | number {
  try {
    return loadConfig({ args, env: process.env });
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.message, EXIT_USAGE);
    throw e;
  }
}

/**
 * Resolves with the first SIGTERM or SIGINT; a second one exits at once. Listening starts before
 * the broker does, so a signal during startup stops the broker as soon as it is up.
 */
function firstSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (received++ === 0) return resolve(signal);
      process.stderr.write(`wharf: ${signal} again, exiting without finishing shutdown\n`);
      process.exit(EXIT_FAILED);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

async function start(args: readonly string[]): Promise<number> {
  const config = configFrom(args);
  if (typeof config === 'number') return config;
  const signal = firstSignal();
  let broker: RunningBroker;
  try {
    // Loaded here so that help, version and config never load protocol code.
    const { registry } = await import('./adapters.js');
    broker = await startBroker(config, registry);
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.message, EXIT_USAGE);
    return fail(`cannot start: ${(e as Error).message}`, EXIT_FAILED);
  }
  const ended = await Promise.race([signal, broker.failure.catch((e: unknown) => e as Error)]);
  if (ended instanceof Error) {
    await broker.stop().catch(() => undefined);
    return fail(`cannot serve: ${ended.message}`, EXIT_FAILED);
  }
  broker.logger.info({ signal: ended }, 'shutting down');
  try {
    await broker.stop();
    return EXIT_OK;
  } catch (err) {
    broker.logger.error({ err }, 'shutdown failed');
    return EXIT_FAILED;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || HELP.has(command) || args.some((a) => HELP.has(a))) {
    process.stdout.write(usage(packageVersion()));
    return EXIT_OK;
  }
  if (VERSION.has(command)) {
    process.stdout.write(`${packageVersion()}\n`);
    return EXIT_OK;
  }
  switch (command) {
    case 'start':
      return start(args);
    case 'drill': {
      // Loaded here so that other commands never load the drill; local pairs run this same `wharf`.
      const { drillCommand } = await import('../drill/drill-command.js');
      return drillCommand(args, {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
        wharf: [process.execPath, ...process.execArgv, process.argv[1]!],
      });
    }
    case 'config': {
      const config = configFrom(args);
      if (typeof config === 'number') return config;
      process.stdout.write(stringify(maskSecrets(config)));
      return EXIT_OK;
    }
    default:
      return fail(`unknown command ${JSON.stringify(command)}; try "wharf help"`, EXIT_USAGE);
  }
}

process.exit(await main(process.argv.slice(2)));
