import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROTOCOLS } from '../config/schema.js';
import type { DrillProtocolClient } from './drill-protocol.js';
import { waitForRoles, type FailoverMode, type Pair, type PairNode, type Roles } from './pair.js';

export interface LocalPairOptions {
  /** How to run `wharf`, up to the command: e.g. `[process.execPath, '--import', 'tsx', 'src/cli/main.ts']`. */
  wharf: readonly string[];
  cwd?: string;
  /** Protocols whose TCP listener each node opens (on a free port of 127.0.0.1); every other listener is off. */
  protocols: readonly string[];
  /** Extra environment for both nodes, e.g. `{ WHARF_HA_LEASE_MS: '1000' }`. The process environment is inherited. */
  env?: Record<string, string>;
}

interface LocalNode extends PairNode {
  readonly env: Record<string, string>;
  readonly logFile: string;
  child?: ChildProcess;
  exited?: Promise<void>;
}

/** Free ports of 127.0.0.1, all different: each stays bound until release(), so none is handed out twice. */
class PortReservation {
  private readonly servers: net.Server[] = [];

  async take(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    this.servers.push(server);
    return (server.address() as net.AddressInfo).port;
  }

  async release(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/**
 * Two `wharf start` child processes on one temporary data directory, each with its own free ports
 * (given by environment variables, as an operator would). Logs (level info unless WHARF_LOG_LEVEL
 * says otherwise) go to `<workDir>/node-<name>.log`; the work directory also holds `data/`.
 */
export class LocalPair implements Pair {
  readonly kind = 'local';
  readonly workDir: string;
  readonly dataDir: string;
  private readonly killAll = (): void => {
    for (const n of this.nodes) n.child?.kill('SIGKILL');
  };

  private constructor(readonly nodes: readonly [LocalNode, LocalNode], private readonly o: LocalPairOptions, workDir: string) {
    this.workDir = workDir;
    this.dataDir = join(workDir, 'data');
    mkdirSync(this.dataDir);
    // Never leave brokers behind when the drill (or a test) exits.
    process.on('exit', this.killAll);
  }

  /** Allocates ports and directories; starts nothing (see start() and startLocalPair()). */
  static async create(o: LocalPairOptions): Promise<LocalPair> {
    const workDir = mkdtempSync(join(tmpdir(), 'wharf-drill-'));
    const ports = new PortReservation();
    const node = async (name: string): Promise<LocalNode> => {
      const adminPort = await ports.take();
      const env: Record<string, string> = {
        WHARF_DATA_DIR: join(workDir, 'data'),
        WHARF_STORE_KIND: 'journal',
        WHARF_HA_ENABLED: 'true',
        WHARF_ADMIN_ENABLED: 'true',
        WHARF_ADMIN_HOST: '127.0.0.1',
        WHARF_ADMIN_PORT: String(adminPort),
        WHARF_WS_ENABLED: 'false',
        WHARF_WSS_ENABLED: 'false',
      };
      const addresses: Record<string, { host: string; port: number }> = {};
      for (const p of PROTOCOLS) {
        const upper = p.toUpperCase();
        env[`WHARF_${upper}_TLS_ENABLED`] = 'false';
        env[`WHARF_${upper}_TCP_ENABLED`] = String(o.protocols.includes(p));
        if (!o.protocols.includes(p)) continue;
        addresses[p] = { host: '127.0.0.1', port: await ports.take() };
        env[`WHARF_${upper}_TCP_HOST`] = '127.0.0.1';
        env[`WHARF_${upper}_TCP_PORT`] = String(addresses[p].port);
      }
      return { name, adminUrl: `http://127.0.0.1:${adminPort}`, addresses, env, logFile: join(workDir, `node-${name}.log`) };
    };
    try {
      return new LocalPair([await node('a'), await node('b')], o, workDir);
    } finally {
      await ports.release();
    }
  }

  node(name: string): LocalNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  isRunning(node: PairNode): boolean {
    const child = (node as LocalNode).child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Starts `wharf start` for `node` (which must not be running). */
  start(node: PairNode): void {
    const n = node as LocalNode;
    if (this.isRunning(n)) throw new Error(`node ${n.name} is already running`);
    const log = openSync(n.logFile, 'a');
    const [command, ...args] = this.o.wharf;
    const child = spawn(command!, [...args, 'start'], {
      cwd: this.o.cwd,
      env: { ...process.env, WHARF_LOG_LEVEL: process.env.WHARF_LOG_LEVEL ?? 'info', ...this.o.env, ...n.env },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    n.child = child;
    n.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Sends a signal to the node's process (SIGKILL, SIGTERM, SIGSTOP, SIGCONT, ...). */
  signal(node: PairNode, signal: NodeJS.Signals): void {
    if (!this.isRunning(node)) throw new Error(`node ${node.name} is not running`);
    (node as LocalNode).child!.kill(signal);
  }

  /** How the node's last process ended; undefined while it runs (or never ran). */
  exitOf(node: PairNode): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    const child = (node as LocalNode).child;
    return child && !this.isRunning(node) ? { code: child.exitCode, signal: child.signalCode } : undefined;
  }

  /** Resolves when the node's process has exited (at once if it never ran). */
  async whenExited(node: PairNode): Promise<void> {
    await (node as LocalNode).exited;
  }

  /** The node's log so far. */
  log(node: PairNode): string {
    try {
      return readFileSync((node as LocalNode).logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Throws when a started node has exited on its own: the pair cannot settle then. */
  private checkAlive = (): void => {
    for (const n of this.nodes) {
      if (n.child && !this.isRunning(n)) {
        const tail = this.log(n).trim().split('\n').slice(-5).join('\n');
        throw new Error(`node ${n.name} exited (code ${n.child.exitCode}, signal ${n.child.signalCode}); log ${n.logFile}:\n${tail}`);
      }
    }
  };

  ready(clients: readonly DrillProtocolClient[], timeoutMs: number): Promise<Roles> {
    return waitForRoles(this.nodes, clients, timeoutMs, this.checkAlive);
  }

  async trigger(active: PairNode, mode: FailoverMode): Promise<void> {
    this.signal(active, mode === 'hard' ? 'SIGKILL' : 'SIGTERM');
  }

  async recover(node: PairNode, clients: readonly DrillProtocolClient[], timeoutMs: number): Promise<Roles> {
    if (!this.isRunning(node)) {
      await this.whenExited(node);
      this.start(node);
    }
    return this.ready(clients, timeoutMs);
  }

  /** Kills both processes; removes the work directory unless `keep`. */
  async close(keep = false): Promise<void> {
    process.off('exit', this.killAll);
    // SIGKILL ends stopped (SIGSTOP) processes too.
    for (const n of this.nodes) if (this.isRunning(n)) n.child!.kill('SIGKILL');
    await Promise.all(this.nodes.map((n) => n.exited));
    if (!keep) rmSync(this.workDir, { recursive: true, force: true });
  }
}

/** Creates a local pair, starts both nodes at once and waits until one is active and the other standby. */
export async function startLocalPair(o: LocalPairOptions, clients: readonly DrillProtocolClient[], timeoutMs = 60_000): Promise<LocalPair> {
  const pair = await LocalPair.create(o);
  try {
    for (const n of pair.nodes) pair.start(n);
    await pair.ready(clients, timeoutMs);
    return pair;
  } catch (e) {
    await pair.close(true);
    throw new Error(`${(e as Error).message}\n(logs kept in ${pair.workDir})`);
  }
}
