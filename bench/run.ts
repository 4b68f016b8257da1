import { startBrokerProcess, type BrokerProcess } from './broker-process.js';
import { printResult, type WorkloadResult } from './stats.js';
import { runStompQueue } from './workloads/stomp-queue.js';
import { runStompTopic } from './workloads/stomp-topic.js';
import { runPersistentStompQueue } from './workloads/persistent-stomp-queue.js';
import { runRecovery } from './workloads/recovery.js';
import { runTakeover } from './workloads/takeover.js';
import { runOpenWireQueue } from './workloads/openwire-queue.js';
import { runAmqpQueue } from './workloads/amqp-queue.js';
import { runMqttConns } from './workloads/mqtt-conns.js';
import { runMqttFanout } from './workloads/mqtt-fanout.js';
import { runMqttQos0 } from './workloads/mqtt-qos0.js';
import { runMqttQos1 } from './workloads/mqtt-qos1.js';

/**
 * `npm run bench -- [workload ...] [--messages N]`: starts the built broker as a child process for
 * each workload, drives it from this process, prints one line of figures per run.
 */
interface Workload {
  protocols: string[];
  env?: Record<string, string>;
  run(broker: BrokerProcess, messages: number | undefined): Promise<WorkloadResult[]>;
}

const BODY = 256;

const workloads: Record<string, Workload> = {
  'amqp-queue': {
    protocols: ['amqp'],
    run: async (b, messages) => [await runAmqpQueue({ port: b.ports.amqp!, messages: messages ?? 100_000, bodyBytes: BODY, credit: 1000, durable: true })],
  },
  'mqtt-qos0': {
    protocols: ['mqtt'],
    // A million messages: a shorter run (under a second) measures mostly JIT warm-up.
    run: async (b, messages) => [await runMqttQos0({ port: b.ports.mqtt!, messages: messages ?? 1_000_000, bodyBytes: BODY, inFlight: 1000 })],
  },
  'mqtt-qos1': {
    protocols: ['mqtt'],
    // QoS 1 messages are persistent: journaled (the broker process runs the default journal store).
    // 500,000 messages (about 5 s): 100,000 take about a second, mostly JIT warm-up of both sides.
    run: async (b, messages) => [await runMqttQos1({ port: b.ports.mqtt!, messages: messages ?? 500_000, bodyBytes: BODY, inFlight: 1000, durable: true })],
  },
  'mqtt-fanout': {
    protocols: ['mqtt'],
    run: async (b, messages) => [await runMqttFanout({ port: b.ports.mqtt!, messages: messages ?? 20_000, subscribers: 50, bodyBytes: BODY, inFlight: 1000 })],
  },
  'mqtt-conns': {
    protocols: ['mqtt'],
    env: { WHARF_LIMITS_MAX_CONNECTIONS: '20000' },
    run: async (b) => [await runMqttConns({ port: b.ports.mqtt!, connections: 10_000, brokerPid: b.process.pid! })],
  },
  'openwire-queue': {
    protocols: ['openwire'],
    // Both persistent: Wharf's journal, ActiveMQ's KahaDB.
    run: async (b, messages) => runOpenWireQueue(b.ports.openwire!, messages ? { messages } : {}),
  },
  'stomp-queue': {
    protocols: ['stomp'],
    run: async (b, messages) => [await runStompQueue({
      port: b.ports.stomp!, messages: messages ?? 100_000, bodyBytes: BODY, inFlight: 1000, persistent: false,
      producers: 1, prefetch: 1000, destination: '/queue/bench.queue', label: 'stomp-queue',
    })],
  },
  'persistent-stomp-queue': {
    protocols: ['stomp'],
    // --messages N: N per run; default 30,000 with 1 producer, 100,000 with 10 and 100.
    run: (b, messages) => runPersistentStompQueue(b, messages, BODY),
  },
  recovery: {
    // Starts (and kills, and restarts) its own broker; the broker started for every workload is not used.
    protocols: [],
    run: async (_b, messages) => [await runRecovery(messages ?? 1_000_000, BODY)],
  },
  takeover: {
    // Starts its own pair of brokers (dist/); the broker started for every workload is not used.
    protocols: [],
    run: async () => [await runTakeover(10)],
  },
  'stomp-topic': {
    protocols: ['stomp'],
    run: async (b, messages) => [await runStompTopic({
      port: b.ports.stomp!, messages: messages ?? 50_000, subscribers: 10, bodyBytes: BODY, inFlight: 1000,
    })],
  },
};

function parseArgs(argv: string[]): { names: string[]; messages: number | undefined } {
  const names: string[] = [];
  let messages: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--messages') messages = Number(argv[++i]);
    else names.push(a);
  }
  return { names: names.length ? names : Object.keys(workloads), messages };
}

async function main(): Promise<void> {
  const { names, messages } = parseArgs(process.argv.slice(2));
  for (const name of names) {
    const w = workloads[name];
    if (!w) {
      console.error(`unknown workload ${name}; known: ${Object.keys(workloads).join(', ')}`);
      process.exitCode = 2;
      return;
    }
    const broker = await startBrokerProcess(w.protocols, w.env);
    try {
      for (const r of await w.run(broker, messages)) printResult(r);
    } finally {
      await broker.stop();
    }
  }
}

await main();
