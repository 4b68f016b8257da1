import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { IConnackPacket, IPublishPacket } from 'mqtt-packet';
import { afterEach, expect, test } from 'vitest';
import { sleep } from './mqtt-client.js';
import { RawClient } from './raw-client.js';

/** kill -9 of the broker process, then a new one on the same journal: QoS 2 stays exactly once. */
const SCRIPT = fileURLToPath(new URL('./crash-broker.ts', import.meta.url));
const children: ChildProcess[] = [];
const raws: RawClient[] = [];
let dir: string | undefined;

afterEach(() => {
  raws.splice(0).forEach((r) => r.close());
  children.splice(0).forEach((c) => c.kill('SIGKILL'));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function startBroker(journalDir: string, port: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, journalDir, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`broker exited (${code})`)));
  });
  return (JSON.parse(line) as { port: number }).port;
}

function kill(): Promise<void> {
  const child = children.pop()!;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  return exited;
}

async function connect(port: number, clientId: string): Promise<[RawClient, IConnackPacket]> {
  const raw = await RawClient.open(port, 4);
  raws.push(raw);
  raw.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: false, keepalive: 0, clientId });
  return [raw, await raw.next<IConnackPacket>('connack')];
}

/**
 * The receiving side of QoS 2 as a client application sees it (the spec's method B): a PUBLISH
 * is delivered and its packet id held until PUBREL; a PUBLISH with a held id is a duplicate.
 * `answer` false: the PUBREC is lost (the crash comes first).
 */
class Qos2Receiver {
  readonly delivered: string[] = [];
  readonly held = new Set<number>();

  onPublish(p: IPublishPacket, raw: RawClient, answer: boolean): void {
    if (!this.held.has(p.messageId!)) this.delivered.push(p.payload.toString());
    this.held.add(p.messageId!);
    if (answer) raw.send({ cmd: 'pubrec', messageId: p.messageId! });
  }

  onPubrel(messageId: number, raw: RawClient): void {
    this.held.delete(messageId);
    raw.send({ cmd: 'pubcomp', messageId });
  }
}

test('QoS 2 in both directions survives kill -9 exactly once (file journal)', async () => {
  dir = mkdtempSync(join(tmpdir(), 'wharf-mqtt-crash-'));
  const port = await startBroker(dir, 0);

  const [sub] = await connect(port, 'crash-sub');
  sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'crash/#', qos: 2 }] });
  await sub.next('suback');
  const [pub] = await connect(port, 'crash-pub');
  for (let i = 0; i < 20; i++) {
    pub.send({ cmd: 'publish', topic: 'crash/x', payload: `m${i}`, qos: 2, messageId: i + 1, dup: false, retain: false });
    await pub.next('pubrec');
    pub.send({ cmd: 'pubrel', messageId: i + 1 });
    await pub.next('pubcomp');
  }
  // One more whose PUBREL the crash cuts off: the broker has it, the publisher will resend it.
  pub.send({ cmd: 'publish', topic: 'crash/x', payload: 'm20', qos: 2, messageId: 99, dup: false, retain: false });
  await pub.next('pubrec');

  // The subscriber takes part of the stream: PUBREC for the first 8, nothing for the rest.
  const receiver = new Qos2Receiver();
  for (let i = 0; i < 12; i++) {
    const p = await sub.next<IPublishPacket>('publish');
    receiver.onPublish(p, sub, i < 8);
  }
  for (let i = 0; i < 4; i++) receiver.onPubrel((await sub.next('pubrel')).messageId!, sub); // 4 complete
  await sleep(100);
  await kill();
  raws.splice(0).forEach((r) => r.close());

  await startBroker(dir, port);
  const [pub2, pubAck] = await connect(port, 'crash-pub');
  expect(pubAck.sessionPresent).toBe(true);
  pub2.send({ cmd: 'publish', topic: 'crash/x', payload: 'm20', qos: 2, messageId: 99, dup: true, retain: false });
  await pub2.next('pubrec');
  pub2.send({ cmd: 'pubrel', messageId: 99 });
  await pub2.next('pubcomp');

  const [sub2, subAck] = await connect(port, 'crash-sub');
  expect(subAck.sessionPresent).toBe(true);
  const deadline = Date.now() + 5000;
  while (receiver.delivered.length < 21 && Date.now() < deadline) {
    for (const p of await sub2.drain(100)) {
      if (p.cmd === 'publish') receiver.onPublish(p as IPublishPacket, sub2, true);
      else if (p.cmd === 'pubrel') receiver.onPubrel(p.messageId!, sub2);
    }
  }
  for (const p of await sub2.drain(300)) {
    if (p.cmd === 'publish') receiver.onPublish(p as IPublishPacket, sub2, true);
    else if (p.cmd === 'pubrel') receiver.onPubrel(p.messageId!, sub2);
  }
  expect([...receiver.delivered].sort()).toEqual(Array.from({ length: 21 }, (_, i) => `m${i}`).sort());
  expect(receiver.held.size).toBe(0);
}, 60_000);
