import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from '../broker-process.js';
import type { WorkloadResult } from '../stats.js';
import { CLIENT_CLASSPATH, compileScenarios, removeCompiled } from '../../test/protocols/openwire/java-client.js';

/**
 * openwire-queue: ActiveMQ's own JMS client sends persistent 256-byte text messages to a queue
 * from `producers` threads (sync sends, the JMS default for persistent messages), one
 * AUTO_ACKNOWLEDGE consumer receives them (test/protocols/openwire/java/JmsBench.java). Run
 * against Wharf (its default journal store) and, when Debian's `activemq` package is installed,
 * against ActiveMQ 5.17 (its default KahaDB store) on the same machine with the same load, for
 * 1, 10 and 100 producers: with one producer both are bound by fdatasync latency, with more by CPU
 * (the Java client's included). Then once more with one producer and async sends
 * (`jms.useAsyncSend`, what throughput-minded JMS applications set): no wait per send.
 */
export interface OpenWireQueueOptions {
  /** Messages per run; by default 20,000 with one producer and sync sends, 100,000 otherwise. */
  messages?: number;
  bodyBytes: number;
  series: Array<{ producers: number; asyncSends: boolean }>;
}

export const OPENWIRE_QUEUE_DEFAULTS: OpenWireQueueOptions = {
  bodyBytes: 256,
  series: [
    { producers: 1, asyncSends: false },
    { producers: 10, asyncSends: false },
    { producers: 100, asyncSends: false },
    { producers: 1, asyncSends: true },
  ],
};

interface Run { messages: number; bodyBytes: number; producers: number; asyncSends: boolean }

const ACTIVEMQ_HOME = '/usr/share/activemq';

async function runJavaBench(uri: string, o: Run, label: string): Promise<WorkloadResult> {
  const dir = await compileScenarios();
  const queue = `bench.openwire.${Date.now()}`;
  const child = spawn('java', ['-Xmx512m', '-cp', `${dir}:${CLIENT_CLASSPATH}`, 'JmsBench', uri, queue,
    String(o.messages), String(o.bodyBytes), String(o.producers), String(o.asyncSends)]);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const line = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`JmsBench against ${label} failed (exit ${code}): ${err.slice(-2000)}`);
  const r = JSON.parse(line) as { messages: number; seconds: number; msgPerSec: number; p50Ms: number; p99Ms: number };
  return {
    workload: `openwire-queue ${o.producers} producer${o.producers === 1 ? '' : 's'}${o.asyncSends ? ', async sends' : ''} (${label})`,
    messages: r.messages,
    seconds: r.seconds,
    figures: { 'msg/s': r.msgPerSec, p50_ms: r.p50Ms, p99_ms: r.p99Ms, sends: o.asyncSends ? 'async' : 'sync' },
  };
}

/** Debian's ActiveMQ 5.17 broker with a minimal config (persistent: KahaDB, its default), if the package is installed. */
export async function startDebianActiveMq(): Promise<{ uri: string; stop(): Promise<void> } | undefined> {
  if (!existsSync(join(ACTIVEMQ_HOME, 'bin/activemq.jar'))) return undefined;
  const base = mkdtempSync(join(tmpdir(), 'wharf-bench-activemq-'));
  const port = await freePort();
  writeFileSync(join(base, 'activemq.xml'), `<beans xmlns="http://www.springframework.org/schema/beans"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans.xsd
  http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="bench" persistent="true" useJmx="false"
          dataDirectory="${base}/data">
    <transportConnectors><transportConnector name="openwire" uri="tcp://127.0.0.1:${port}"/></transportConnectors>
  </broker>
</beans>
`);
  const child = spawn('java', ['-Xmx1g', `-Dactivemq.home=${ACTIVEMQ_HOME}`, `-Dactivemq.base=${base}`, `-Dactivemq.conf=${base}`,
    `-Dactivemq.data=${base}/data`, '-jar', join(ACTIVEMQ_HOME, 'bin/activemq.jar'), 'start', `xbean:file:${base}/activemq.xml`],
  { stdio: 'ignore' });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(base, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, 60_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { uri: `tcp://127.0.0.1:${port}`, stop };
}

/** The workload against Wharf (on `wharfPort`) and, if installed, against ActiveMQ, per producer count. */
export async function runOpenWireQueue(wharfPort: number, options: Partial<OpenWireQueueOptions> = {}): Promise<WorkloadResult[]> {
  const o = { ...OPENWIRE_QUEUE_DEFAULTS, ...options };
  const runs: Run[] = o.series.map(({ producers, asyncSends }) => ({
    producers, bodyBytes: o.bodyBytes, asyncSends, messages: o.messages ?? (producers === 1 && !asyncSends ? 20_000 : 100_000),
  }));
  try {
    const wharf: WorkloadResult[] = [];
    for (const run of runs) wharf.push(await runJavaBench(`tcp://127.0.0.1:${wharfPort}`, run, 'wharf'));
    const activemq = await startDebianActiveMq();
    if (!activemq) return wharf;
    const results: WorkloadResult[] = [];
    try {
      for (const [i, run] of runs.entries()) {
        const a = await runJavaBench(activemq.uri, run, 'activemq 5.17');
        const w = wharf[i]!;
        w.figures['x activemq'] = (w.figures['msg/s'] as number) / (a.figures['msg/s'] as number);
        results.push(w, a);
      }
    } finally {
      await activemq.stop();
    }
    return results;
  } finally {
    removeCompiled();
  }
}
