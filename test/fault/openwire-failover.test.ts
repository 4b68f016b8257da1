import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalPair, type LocalPair } from '../../src/drill/local-pair.js';
import { fetchRole } from '../../src/drill/pair.js';
import { CLIENT_CLASSPATH, missingJavaPieces } from '../protocols/openwire/java-client.js';
import { CLIENTS, closePair, TEST_LEASE_MS, WHARF_FROM_SOURCE } from './fault-pair.js';

/** What java/OpenWireFailover.java prints on its RESULT line. */
interface FailoverSummary {
  sent: number;
  acked: number;
  ackedBeforeKill: number;
  firstAckAfterKillMs: number;
  received: number;
  deliveries: number;
  redelivered: number;
  lost: number[];
  duplicates: number[];
  unacknowledgedReceived: number[];
  settled: number;
  settleErrors: string[];
  sendErrors: string[];
  transport: Record<'producer' | 'consumer', { interrupted: number; resumed: number }>;
  connectedTo: [string, string];
}

const WARMUP_ACKED = 300;
const AFTER_ACKED = 300;

function javaMissing(): string | undefined {
  const missing = missingJavaPieces();
  if (missing.length > 0) return `ActiveMQ client jars missing (apt-get install libactivemq-java): ${missing.join(', ')}`;
  if (spawnSync('javac', ['-version']).status !== 0) return 'no javac (apt-get install default-jdk-headless)';
  return undefined;
}

function compile(): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'wharf-owf-'));
  const source = join(import.meta.dirname, 'java', 'OpenWireFailover.java');
  return new Promise((resolve, reject) => {
    execFile('javac', ['-nowarn', '-cp', CLIENT_CLASSPATH, '-d', out, source], (err, _stdout, stderr) => {
      if (err) reject(new Error(`javac failed: ${stderr}`));
      else resolve(out);
    });
  });
}

let pair: LocalPair | undefined;
let classes: string | undefined;
afterEach(async (ctx) => {
  await closePair(pair, ctx.task.result?.state === 'fail');
  pair = undefined;
  if (classes) rmSync(classes, { recursive: true, force: true });
  classes = undefined;
});

describe('the ActiveMQ client\'s failover: URI across a SIGKILL of the active', () => {
  for (const mode of ['transacted', 'client'] as const) {
    it(`${mode} consumer: the client reconnects to the new active by itself and every acknowledged send is received`, async (ctx) => {
      const missing = javaMissing();
      if (missing) ctx.skip(missing);
      const protocols = [...new Set([...WHARF_FROM_SOURCE.protocols, 'openwire'])];
      // The pair and javac together: both take seconds on a busy box.
      // Each is kept for afterEach as soon as it exists, so that a failure of the other leaks nothing.
      const [started, compiled] = await Promise.all([
        startLocalPair({ ...WHARF_FROM_SOURCE, protocols, env: { WHARF_HA_LEASE_MS: String(TEST_LEASE_MS) } }, CLIENTS).then((p) => (pair = p)),
        compile().then((dir) => (classes = dir)),
      ]);
      const roles = await started.ready(CLIENTS, 30_000);
      const ports = started.nodes.map((n) => n.addresses.openwire!.port);
      const uri = `failover:(${ports.map((p) => `tcp://127.0.0.1:${p}`).join(',')})?initialReconnectDelay=50&maxReconnectDelay=200`;

      const child = spawn('java', [
        '-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-DtimeoutMs=70000',
        '-cp', [compiled, CLIENT_CLASSPATH].join(':'), 'OpenWireFailover', uri, `fault.openwire.failover.${mode}`, String(WARMUP_ACKED), String(AFTER_ACKED), mode,
      ]);
      let stdout = '';
      let stderr = '';
      let killed = false;
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (!killed && stdout.includes('KILL\n')) {
          killed = true;
          started.signal(roles.active, 'SIGKILL');
          child.stdin.write('KILLED\n');
        }
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      const output = `exit ${code}\n--- stdout\n${stdout.slice(-4000)}\n--- stderr\n${stderr.slice(-4000)}`;
      expect(killed, output).toBe(true);
      expect(code, output).toBe(0);
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      expect(line, output).toBeDefined();
      const r = JSON.parse(line!.slice('RESULT '.length)) as FailoverSummary;
      console.log(`openwire failover (${mode}): ${r.acked} acknowledged (${r.ackedBeforeKill} before the kill, first after it in ${r.firstAckAfterKillMs} ms), `
        + `${r.received} received in ${r.deliveries} deliveries, ${r.redelivered} redelivered, ${r.duplicates.length} duplicates ${JSON.stringify(r.duplicates)}, `
        + `${r.settled} commits/acknowledges, errors ${JSON.stringify(r.settleErrors)}`);

      // The standby took over, under the next epoch.
      const after = await fetchRole(roles.standby);
      expect(after?.role, output).toBe('active');
      expect(after?.epoch).toBe(roles.epoch + 1);

      // No lost acknowledged message; duplicates are allowed (printed above).
      expect(r.lost, output).toEqual([]);
      expect(r.sendErrors, output).toEqual([]);
      expect(r.acked).toBeGreaterThanOrEqual(WARMUP_ACKED + AFTER_ACKED);
      expect(r.firstAckAfterKillMs).toBeGreaterThanOrEqual(0);
      // Both connections noticed the kill and resumed, on the new active.
      for (const side of ['producer', 'consumer'] as const) {
        expect(r.transport[side].interrupted, `${side} ${output}`).toBeGreaterThanOrEqual(1);
        expect(r.transport[side].resumed, `${side} ${output}`).toBeGreaterThanOrEqual(1);
      }
      const newActivePort = roles.standby.addresses.openwire!.port;
      expect(r.connectedTo).toEqual([`tcp://127.0.0.1:${newActivePort}`, `tcp://127.0.0.1:${newActivePort}`]);
    }, 90_000);
  }
});
