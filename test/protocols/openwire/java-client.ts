import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';

/**
 * ActiveMQ's own JMS client (Debian: libactivemq-java, default-jdk-headless), driving the
 * scenarios of java/JmsScenarios.java, compiled once per test file into a temp directory.
 */
const JARS = [
  'activemq-client.jar', 'geronimo-jms_1.1_spec.jar', 'geronimo-j2ee-management-1.1-spec.jar', 'hawtbuf.jar',
  'slf4j-api.jar', 'slf4j-nop.jar',
].map((j) => join('/usr/share/java', j));

const SOURCES = ['JmsScenarios.java', 'JmsBench.java'].map((f) => fileURLToPath(new URL(`./java/${f}`, import.meta.url)));

export function missingJavaPieces(): string[] {
  return JARS.filter((j) => !existsSync(j));
}

let compiled: Promise<string> | undefined;
const dirs: string[] = [];

/** The classpath of the ActiveMQ client. */
export const CLIENT_CLASSPATH = JARS.join(':');

/** The directory holding the compiled Java programs (compiling them on first use). */
export function compileScenarios(): Promise<string> {
  compiled ??= new Promise((resolve, reject) => {
    const missing = missingJavaPieces();
    if (missing.length > 0) {
      reject(new Error(`ActiveMQ client jars missing (apt-get install libactivemq-java): ${missing.join(', ')}`));
      return;
    }
    const out = mkdtempSync(join(tmpdir(), 'wharf-jms-'));
    dirs.push(out);
    execFile('javac', ['-nowarn', '-cp', JARS.join(':'), '-d', out, ...SOURCES], (err, _stdout, stderr) => {
      if (err) reject(new Error(`javac failed: ${stderr}`));
      else resolve(out);
    });
  });
  return compiled;
}

export function removeCompiled(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  compiled = undefined;
}

export interface JavaRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const JVM = ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

/** Starts a scenario; the caller talks to it over stdin/stdout. */
export async function spawnScenario(uri: string, scenario: string, args: string[] = [], props: Record<string, string> = {}): Promise<ChildProcessWithoutNullStreams> {
  const dir = await compileScenarios();
  const defs = Object.entries(props).map(([k, v]) => `-D${k}=${v}`);
  return spawn('java', [...JVM, ...defs, '-cp', [dir, ...JARS].join(':'), 'JmsScenarios', uri, scenario, ...args]);
}

/** Runs a scenario to its end. */
export async function runScenario(uri: string, scenario: string, args: string[] = [], props: Record<string, string> = {}): Promise<JavaRun> {
  const child = await spawnScenario(uri, scenario, args, props);
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

/** A readable failure for expect(): the scenario's last output lines. */
export function describeRun(r: JavaRun): string {
  const tail = (s: string): string => s.split('\n').slice(-25).join('\n');
  return `exit ${r.code}\n--- stdout\n${tail(r.stdout)}\n--- stderr\n${tail(r.stderr)}`;
}

/** Broker overrides for the interop tests: the memory store (persistence is the journal's to test). */
export const MEMORY = { store: { kind: 'memory' as const } };

/**
 * For a describe block: compiles the Java scenarios and starts a memory-store broker before its
 * tests, stops and cleans up after them. Read `broker` and `uri` inside the tests.
 */
export function useJavaClientBroker(): { readonly broker: TestBroker; readonly uri: string } {
  let broker: TestBroker | undefined;
  beforeAll(async () => {
    await compileScenarios();
    // Scheduled delivery on, as a broker with ActiveMQ's schedulerSupport (the `scheduled` scenario).
    broker = await startTestBroker({ ...MEMORY, core: { scheduledDelivery: true } });
  }, 60_000);
  afterAll(async () => {
    await broker?.stop();
    removeCompiled();
  });
  return {
    get broker() {
      return broker!;
    },
    get uri() {
      return `tcp://127.0.0.1:${broker!.ports.openwire!.tcp}`;
    },
  };
}
