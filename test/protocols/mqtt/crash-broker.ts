/**
 * A broker process for crash tests: core on a file journal, the MQTT adapter, one TCP listener.
 * usage: node --import tsx crash-broker.ts <journal dir> <port (0: any)>; prints {"port": n}.
 * The test kills it with SIGKILL and starts another on the same directory.
 */
import { pino } from 'pino';
import { createMqttAdapter } from '../../../protocols/mqtt/index.js';
import { openListeners } from '../../../protocols/transports/index.js';
import { BrokerCore } from '../../../src/core/index.js';
import { JournalStore } from '../../../src/store/journal/index.js';
import { CORE_DEFAULTS } from './mqtt-harness.js';

const [dir, port] = process.argv.slice(2);
const silent = pino({ level: 'silent' });
const core = new BrokerCore(CORE_DEFAULTS, new JournalStore({ dir: dir! }), silent);
await core.start();
const adapter = createMqttAdapter({ core, logger: silent, config: { tickMs: 50 } });
await (adapter as unknown as { ready: Promise<void> }).ready;
const listeners = await openListeners(
  [{ name: 'mqtt-tcp', transport: 'tcp', host: '127.0.0.1', port: Number(port), adapters: [adapter] }],
  { logger: silent, maxConnections: 1000, writeHighWaterMarkBytes: 64 * 1024, maxWebSocketMessageBytes: 1 << 20 },
);
process.stdout.write(`${JSON.stringify({ port: listeners.listeners[0]!.port })}\n`);
