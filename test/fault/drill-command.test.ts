import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DrillSeries } from '../../src/drill/drill-series.js';
import type { LocalPair } from '../../src/drill/local-pair.js';
import { drillProtocolClients } from '../../src/drill/protocol-clients.js';
import { closePair, ROOT, startPair, TEST_LEASE_MS } from './fault-pair.js';

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `wharf ...` from source as a real child process, with only the given WHARF_* variables. */
function wharf(args: string[], env: Record<string, string> = {}): Promise<Finished> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WHARF_')));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env: { ...clean, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

let dir: string;
let pair: LocalPair | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wharf-drill-cli-'));
});
afterEach(async (ctx) => {
  await closePair(pair, ctx.task.result?.state === 'fail');
  pair = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const SHORT = ['--warmup-ms', '800', '--after-ms', '300'];

function readSeries(file: string): DrillSeries {
  return JSON.parse(readFileSync(file, 'utf8')) as DrillSeries;
}

describe('wharf drill', () => {
  it('on a local pair it starts itself: prints a report with a PASS verdict, writes valid JSON, leaves nothing behind', async () => {
    const json = join(dir, 'drill.json');
    // The environment reaches both brokers of the local pair (here: the lease of the fault tests).
    const r = await wharf(['drill', ...SHORT, '--json', json], { WHARF_HA_LEASE_MS: String(TEST_LEASE_MS) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Wharf failover drill: local pair/);
    expect(r.stdout).toMatch(/run 1: hard failover, node [ab] \(epoch 1\) → node [ab] \(epoch 2\)\s+PASS/);
    expect(r.stdout).toMatch(/takeover_ms\s+\d+/);
    expect(r.stdout).toContain('verdict: PASS (1 of 1 run(s) passed)');
    expect(r.stderr).toContain('drill: starting a local pair');

    const series = readSeries(json);
    expect(series.pair.kind).toBe('local');
    // Every protocol with a drill client takes part.
    expect(series.protocols).toEqual(Object.keys(drillProtocolClients));
    expect(series.settings).toMatchObject({ mode: 'hard', rateMsgPerS: 200, warmupMs: 800, strict: false });
    expect(series.runs).toHaveLength(1);
    expect(series.runs[0]!.messages.lost).toBe(0);
    expect(series.runs[0]!.messages.acknowledged).toBeGreaterThan(100);
    expect(series.runs[0]!.takeoverMs).toBeGreaterThan(0);
    expect(series.summary).toMatchObject({ runs: 1, passed: 1, verdict: 'PASS', lost: 0 });
    // The pair's directory (data and logs) is kept only on FAIL or with --keep.
    expect(r.stdout).not.toContain('data and logs of the local pair');
  }, 90_000);

  it('on a pair it did not start (the remote flags, as against the compose pair): a graceful handoff with POST /api/handoff', async () => {
    pair = await startPair();
    const [a, b] = pair.nodes;
    const json = join(dir, 'remote.json');
    const r = await wharf(['drill', '--mode', 'graceful', '--repeat', '2', ...SHORT, '--json', json,
      '--admin-a', a.adminUrl, '--admin-b', b.adminUrl,
      '--stomp-a', `127.0.0.1:${a.addresses.stomp!.port}`, '--stomp-b', `127.0.0.1:${b.addresses.stomp!.port}`]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Wharf failover drill: remote pair/);
    const series = readSeries(json);
    expect(series.runs.map((x) => x.verdict)).toEqual(['PASS', 'PASS']);
    // Handed over and back: both brokers still run.
    expect(series.runs[1]!.to.node).toBe(series.runs[0]!.from.node);
    for (const n of pair.nodes) expect(pair.isRunning(n)).toBe(true);
  }, 90_000);

  it('exits with 2 on bad flags, naming the problem', async () => {
    const cases: Array<[string[], string]> = [
      [['--mode', 'soft'], '--mode: expected hard or graceful'],
      [['--rate', '0'], '--rate: expected an integer ≥ 1'],
      [['--admin-a', 'http://127.0.0.1:1'], 'a remote pair needs both --admin-a and --admin-b'],
      [['--admin-a', 'http://h:1', '--admin-b', 'http://h:2'], 'a remote pair needs client addresses'],
      [['--admin-a', 'http://h:1', '--admin-b', 'http://h:2', '--stomp-a', 'h:1'], 'give both --stomp-a and --stomp-b'],
      [['--stomp-a', 'nohost'], '--stomp-a: expected host:port'],
      [['--frobnicate'], 'unknown flag --frobnicate'],
    ];
    const results = await Promise.all(cases.map(([args]) => wharf(['drill', ...args])));
    results.forEach((r, i) => {
      expect(r.code, cases[i]![1]).toBe(2);
      expect(r.stderr).toContain(cases[i]![1]);
      expect(r.stdout).toBe('');
    });
  }, 60_000);
});
