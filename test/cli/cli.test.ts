import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { defaultConfig } from '../../src/config/config-keys.js';
import { listenerSections } from '../../src/config/listener-plan.js';
import { registry } from '../../src/cli/adapters.js';

const ROOT = join(import.meta.dirname, '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `wharf ...` as a real child process, with only the given WHARF_* variables. */
function wharf(args: string[], env: Record<string, string> = {}): Run {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WHARF_')));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env: { ...clean, ...env } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function finished(args: string[], env?: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = wharf(args, env);
  const { code } = await run.exit;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** JSON log lines written so far. */
function logLines(run: Run): Array<Record<string, unknown>> {
  return run.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function waitForLog(run: Run, msg: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  const start = Date.now();
  for (;;) {
    const line = logLines(run).find((l) => l.msg === msg);
    if (line) return line;
    if (run.child.exitCode !== null) throw new Error(`wharf exited (${run.child.exitCode}): ${run.stderr()}`);
    if (Date.now() - start > timeoutMs) throw new Error(`no "${msg}" log line; stdout: ${run.stdout()} stderr: ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Flags putting every listener on 127.0.0.1 with an ephemeral port. */
const EPHEMERAL = listenerSections(defaultConfig()).flatMap(([path]) => [`--${path}.host`, '127.0.0.1', `--${path}.port`, '0']);

let dataDir: string;
let running: Run | undefined;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'wharf-cli-'));
});
afterEach(async () => {
  if (running && running.child.exitCode === null && running.child.signalCode === null) {
    running.child.kill('SIGKILL');
    await running.exit;
  }
  running = undefined;
  await rm(dataDir, { recursive: true, force: true });
});

describe('wharf CLI', () => {
  it('version and help', async () => {
    expect(await finished(['version'])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    const help = await finished(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('wharf start  [--config FILE]');
    expect(help.stdout).toMatch(/stomp\.tcp\.port\s+61613/);
    expect((await finished([])).stdout).toBe(help.stdout);
  });

  it('config prints the resolved configuration as YAML with secrets masked', async () => {
    const r = await finished(['config', '--stomp.tcp.port', '1234'], { WHARF_CORE_USERS: '[{"username":"app","password":"s3cret"}]', WHARF_BROKER_NAME: 'b7' });
    expect(r.code).toBe(0);
    const shown = parseYaml(r.stdout) as { brokerName: string; stomp: { tcp: { port: number } }; core: { users: unknown[] } };
    expect(shown.brokerName).toBe('b7');
    expect(shown.stomp.tcp.port).toBe(1234);
    expect(shown.core.users).toEqual([{ username: 'app', password: '********' }]);
    expect(r.stdout).not.toContain('s3cret');
  });

  it('exits with 2 and names the key on invalid configuration', async () => {
    const r = await finished(['start', '--stomp.tcp.port', 'x'], { WHARF_NOPE: '1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('wharf: invalid configuration:');
    expect(r.stderr).toContain('stomp.tcp.port: expected an integer from 0 to 65535, got "x" (flag --stomp.tcp.port)');
    expect(r.stderr).toContain('WHARF_NOPE: unknown environment variable');
    expect(r.stdout).toBe('');
    expect((await finished(['frobnicate'])).code).toBe(2);
  });

  it('starts, answers /healthz, serves STOMP and stops cleanly on SIGTERM', async () => {
    running = wharf(['start', ...EPHEMERAL, '--dataDir', dataDir, '--log.level', 'info']);
    const started = await waitForLog(running, 'wharf started');
    const { adminUrl, ports } = started as { adminUrl: string; ports: { stomp: { tcp: number; tls: number; ws: number; wss: number } } };
    expect(Object.keys(ports.stomp).sort()).toEqual(['tcp', 'tls', 'ws', 'wss']);
    const listening = logLines(running).filter((l) => l.msg === 'listening').map((l) => l.listener);
    // One TCP and one TLS listener per registered adapter, then the shared WebSocket ones.
    const expected = [...Object.keys(registry.adapters).flatMap((p) => [`${p}-tcp`, `${p}-tls`]), 'ws', 'wss'];
    expect([...listening].sort()).toEqual(expected.sort());

    expect((await fetch(`${adminUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${adminUrl}/readyz`)).status).toBe(200);

    const stomp = connect({ host: '127.0.0.1', port: ports.stomp.tcp });
    const connected = new Promise<string>((resolve) => stomp.once('data', (d: Buffer) => resolve(d.toString())));
    stomp.write('CONNECT\naccept-version:1.2\nhost:localhost\n\n\0');
    expect(await connected).toMatch(/^CONNECTED\n/);
    const stompClosed = new Promise((r) => stomp.once('close', r));
    stomp.on('error', () => {});

    running.child.kill('SIGTERM');
    expect(await running.exit).toEqual({ code: 0, signal: null });
    await stompClosed;
    expect(logLines(running).map((l) => l.msg)).toContain('wharf stopped');
    await expect(fetch(`${adminUrl}/healthz`)).rejects.toThrow();
  });

  it('stops cleanly on SIGINT too, even during startup, and logs nothing by default', async () => {
    running = wharf(['start', ...EPHEMERAL, '--dataDir', dataDir], { WHARF_LOG_LEVEL: 'warn' });
    // Quiet: nothing is logged at warn, so wait for the self-signed certificate to appear instead
    // (made during startup; a signal that early must still end in a clean stop).
    const start = Date.now();
    while (!existsSync(join(dataDir, 'tls', 'self-signed-cert.pem'))) {
      if (Date.now() - start > 20_000 || running.child.exitCode !== null) throw new Error(`not started: ${running.stderr()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    running.child.kill('SIGINT');
    expect(await running.exit).toEqual({ code: 0, signal: null });
    expect(running.stdout()).toBe('');
  });

  it('exits with 1 and a clear message when a port is taken', async () => {
    const first = wharf(['start', ...EPHEMERAL, '--dataDir', dataDir, '--log.level', 'info']);
    running = first;
    const { ports } = (await waitForLog(first, 'wharf started')) as { ports: { stomp: { tcp: number } } };
    // Its own data directory: on the same one it would (rightly) wait as the standby.
    const second = await finished(['start', ...EPHEMERAL, '--stomp.tcp.port', String(ports.stomp.tcp), '--dataDir', join(dataDir, 'second')]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`wharf: cannot start: cannot open the stomp-tcp listener on 127.0.0.1:${ports.stomp.tcp}`);
    first.child.kill('SIGTERM');
    expect((await first.exit).code).toBe(0);
  });
});
