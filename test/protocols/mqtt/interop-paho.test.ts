import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { connectWithInbox, type Inbox, type Transport } from './mqtt-client.js';

/**
 * Debian's python3-paho-mqtt as an independent second client (CI: `apt-get install -y
 * python3-paho-mqtt`). Without it these tests fail; set WHARF_SKIP_PAHO=1 to skip them knowingly.
 */
const PYTHON = process.env['PAHO_PYTHON'] ?? '/usr/bin/python3';
const hasPaho = spawnSync(PYTHON, ['-c', 'import paho.mqtt.client'], { stdio: 'ignore' }).status === 0;
const skip = !hasPaho && process.env['WHARF_SKIP_PAHO'] === '1';
const SCRIPT = fileURLToPath(new URL('./paho-scenarios.py', import.meta.url));

let broker: TestBroker;
let tmp: string;
let caFile: string;
const clients: MqttClient[] = [];

beforeAll(async () => {
  if (skip) return;
  if (!hasPaho) throw new Error(`python3-paho-mqtt is not installed for ${PYTHON} (apt-get install -y python3-paho-mqtt, or WHARF_SKIP_PAHO=1)`);
  broker = await startTestBroker({ store: { kind: 'memory' } });
  tmp = await mkdtemp(join(tmpdir(), 'wharf-paho-'));
  caFile = join(tmp, 'ca.pem');
  await writeFile(caFile, broker.tlsCa);
});
afterAll(async () => {
  for (const c of clients) c.end(true);
  await broker?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Runs a scenario; `onWait` answers its `WAIT <what>` lines. */
async function runScenario(name: string, transport: Transport, onWait: (what: string) => Promise<void>): Promise<Record<string, any>> {
  const port = broker.ports['mqtt']![transport]!;
  const child = spawn(PYTHON, [SCRIPT, name, transport, String(port), caFile], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let result: Record<string, any> | undefined;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (line.startsWith('WAIT ')) void onWait(line.slice(5)).then(() => child.stdin.write('\n'));
    else if (line.startsWith('{')) result = JSON.parse(line);
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0 || !result) throw new Error(`paho scenario ${name} failed (${code}): ${stderr}`);
  return result;
}

async function observer(topic: string, level: 4 | 5): Promise<[MqttClient, Inbox]> {
  const [client, inbox] = await connectWithInbox({ ports: broker.ports['mqtt']!, tlsCa: broker.tlsCa }, 'tcp', { protocolVersion: level, clientId: `obs-${Math.random()}` });
  clients.push(client);
  await client.subscribeAsync(topic, { qos: 2 });
  return [client, inbox];
}

describe.skipIf(skip).each(['tcp', 'wss'] as const)('paho 3.1.1 over %s', (transport) => {
  test('QoS 0/1/2, retained, persistent session, will — and messages both ways with MQTT.js', async () => {
    const [js, inbox] = await observer('paho/#', 4);
    const r = await runScenario('v311', transport, async () => {
      await js.publishAsync('paho/offline', 'from-mqtt.js', { qos: 1 });
    });
    expect(r['first_connect']).toEqual({ session_present: false, rc: 0 });
    // paho hands a QoS 2 message to the application on PUBREL, so arrival order varies across QoS levels.
    expect(r['live'].map((m: any) => [m.topic, m.payload, m.qos]).sort()).toEqual([
      ['paho/q0', 'qos0', 0], ['paho/q1', 'qos1', 1], ['paho/q2', 'qos2', 2], ['paho/retained', 'kept', 1],
    ]);
    expect(r['resumed']).toEqual({ session_present: true, rc: 0 });
    expect(r['offline'].map((m: any) => m.payload)).toEqual(['from-mqtt.js']);
    expect(r['retained'][0]).toMatchObject({ topic: 'paho/retained', payload: 'kept', retain: true });
    expect(r['will'][0]).toMatchObject({ topic: 'paho/will', payload: 'died' });
    expect(r['cleared'][0]).toMatchObject({ topic: 'paho/retained', payload: '', retain: false });
    const seen = inbox.messages.map((m) => m.topic);
    expect(seen).toEqual(expect.arrayContaining(['paho/q0', 'paho/q1', 'paho/q2', 'paho/retained', 'paho/will']));
  });
});

describe.skipIf(skip).each(['tls', 'wss'] as const)('paho 5.0 over %s', (transport) => {
  test('properties, subscription identifier, no local, shared subscriptions, session expiry — and MQTT.js', async () => {
    const [js, inbox] = await observer('paho5/props', 5);
    const r = await runScenario('v5', transport, async () => {
      await js.publishAsync('paho5/from-js', 'hello paho', { qos: 1, properties: { userProperties: { origin: 'mqtt.js' } } });
    });
    const [m] = r['props'];
    expect(m).toMatchObject({ topic: 'paho5/props', payload: '{"v":1}', qos: 1 });
    expect(m.properties).toMatchObject({
      ContentType: 'application/json', ResponseTopic: 'paho5/reply', PayloadFormatIndicator: 1, SubscriptionIdentifier: [9],
      UserProperty: [['a', '1'], ['b', 'x']], CorrelationData: [0, 1, 255],
    });
    expect(m.properties.MessageExpiryInterval).toBeLessThanOrEqual(60);
    expect(r['no_local']).toEqual([]);
    expect(r['from_js'][0]).toMatchObject({ topic: 'paho5/from-js', payload: 'hello paho' });
    expect(r['from_js'][0].properties.UserProperty).toEqual([['origin', 'mqtt.js']]);
    expect(r['shared'][0] + r['shared'][1]).toBe(10);
    expect(Math.min(...r['shared'])).toBeGreaterThan(0);
    expect(r['expiring_first'].session_present).toBe(false);
    expect(r['expiring_back'].session_present).toBe(true);
    expect(r['queued'][0].payload).toBe('while-away');
    const [fromPaho] = await inbox.take(1);
    expect(fromPaho!.properties!.correlationData).toEqual(Buffer.from([0, 1, 255]));
  });
});
