import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface BrokerProcess {
  ports: Record<string, number>;
  dataDir: string;
  /** e.g. `http://127.0.0.1:8162`: /metrics, /readyz. */
  adminUrl: string;
  process: ChildProcess;
  /** Ends the broker (SIGTERM) and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts the built broker (`dist/`) as its own process, so the load generator and the broker each
 * get a core. `protocols` lists the TCP listeners to open, on free ports; everything else is off.
 * `dataDir`: an existing one to restart on (the recovery bench); a new temporary one by default.
 */
export async function startBrokerProcess(protocols: string[], env: Record<string, string> = {}, dataDir = mkdtempSync(join(tmpdir(), 'wharf-bench-'))): Promise<BrokerProcess> {
  const ports: Record<string, number> = {};
  const adminPort = await freePort();
  const vars: Record<string, string> = {
    WHARF_DATA_DIR: dataDir,
    WHARF_LOG_LEVEL: 'warn',
    WHARF_ADMIN_PORT: String(adminPort),
    WHARF_WS_ENABLED: 'false',
    WHARF_WSS_ENABLED: 'false',
  };
  for (const p of ['stomp', 'mqtt', 'amqp', 'openwire']) {
    vars[`WHARF_${p.toUpperCase()}_TLS_ENABLED`] = 'false';
    if (protocols.includes(p)) {
      ports[p] = await freePort();
      vars[`WHARF_${p.toUpperCase()}_TCP_PORT`] = String(ports[p]);
      vars[`WHARF_${p.toUpperCase()}_TCP_HOST`] = '127.0.0.1';
    } else {
      vars[`WHARF_${p.toUpperCase()}_TCP_ENABLED`] = 'false';
    }
  }
  const child = spawn(process.execPath, [join(root, 'dist/src/cli/main.js'), 'start'], {
    env: { ...process.env, ...vars, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const firstPort = Object.values(ports)[0];
  if (firstPort !== undefined) await waitForPort(firstPort, 20_000, child);
  return {
    ports,
    dataDir,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits until something accepts connections on 127.0.0.1:`port` (failing early if `child` exits). */
export async function waitForPort(port: number, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`broker exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on port ${port} after ${timeoutMs} ms`);
}
