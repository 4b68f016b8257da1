import { startBrokerProcess } from '../broker-process.js';
import { clockMs, type WorkloadResult } from '../stats.js';
import { header, StompLoadClient } from '../stomp-load-client.js';

const QUEUE = '/queue/bench.recovery';

/** `messages` persistent sends from `producers` connections, `inFlight` unreceipted each; no consumer. */
async function fill(port: number, messages: number, bodyBytes: number, producers = 20, inFlight = 200): Promise<void> {
  const body = 'x'.repeat(bodyBytes);
  let next = 0;
  const clients = await Promise.all(Array.from({ length: producers }, () => StompLoadClient.connect(port)));
  await Promise.all(clients.map((c) => new Promise<void>((resolve, reject) => {
    let pending = 0;
    const pump = (): void => {
      while (next < messages && pending < inFlight) {
        c.send(`SEND\ndestination:${QUEUE}\npersistent:true\nreceipt:${next++}\n\n${body}\0`);
        pending++;
      }
      if (pending === 0) resolve();
    };
    c.onFrame = (f) => {
      if (f.command === 'RECEIPT') { pending--; pump(); } else if (f.command === 'ERROR') reject(new Error(header(f, 'message')));
    };
    pump();
  })));
  await Promise.all(clients.map((c) => c.close()));
}

/**
 * Restart time with `messages` queued 256-byte persistent messages: fill a broker, SIGKILL it,
 * start a new process on the same data directory; time to the STOMP port accepting and to the
 * first MESSAGE a consumer gets.
 */
export async function runRecovery(messages: number, bodyBytes: number): Promise<WorkloadResult> {
  // HA off: a lone broker filling 1M messages can stall past the 600 ms lease and step down (seen
  // here), and the figure should be the journal's recovery, not a lease wait.
  const env = { WHARF_CORE_MEMORY_LIMIT_BYTES: String(8 * 1024 ** 3), WHARF_HA_ENABLED: 'false' };
  const first = await startBrokerProcess(['stomp'], env);
  const fillStart = clockMs();
  await fill(first.ports.stomp!, messages, bodyBytes);
  const fillSeconds = (clockMs() - fillStart) / 1000;
  const exited = new Promise((resolve) => first.process.once('exit', resolve));
  first.process.kill('SIGKILL');
  await exited;

  const start = clockMs();
  const second = await startBrokerProcess(['stomp'], env, first.dataDir);
  const portMs = clockMs() - start;
  try {
    const consumer = await StompLoadClient.connect(second.ports.stomp!);
    const firstMessage = new Promise<void>((resolve) => {
      consumer.onFrame = (f) => f.command === 'MESSAGE' && resolve();
    });
    consumer.send(`SUBSCRIBE\nid:0\ndestination:${QUEUE}\nack:client-individual\n\n\0`);
    await firstMessage;
    const firstMessageMs = clockMs() - start;
    void consumer.close();
    return {
      workload: 'recovery', messages, seconds: firstMessageMs / 1000,
      figures: { 'fill_msg/s': messages / fillSeconds, port_ms: portMs, first_message_ms: firstMessageMs },
    };
  } finally {
    await second.stop();
  }
}
