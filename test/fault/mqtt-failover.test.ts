import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { IPubrelPacket } from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostPort } from '../../src/drill/drill-protocol.js';
import { DEFAULT_DRILL_SETTINGS, runDrill } from '../../src/drill/drill-run.js';
import { startLocalPair, type LocalPair } from '../../src/drill/local-pair.js';
import { mqttClient } from '../../src/drill/mqtt/mqtt-client.js';
import { Inbox } from '../protocols/mqtt/mqtt-client.js';
import { RawClient } from '../protocols/mqtt/raw-client.js';
import { closePair, TEST_LEASE_MS, WHARF_FROM_SOURCE } from './fault-pair.js';

/**
 * MQTT across a SIGKILL takeover of a local pair: the drill's QoS 1 load, and the MQTT state the
 * dead active held — a persistent session with queued messages, a retained message, a will, and
 * QoS 2 exchanges in flight both ways — all on one takeover (one pair start keeps this quick).
 */
let pair: LocalPair | undefined;
const clients: MqttClient[] = [];
const raws: RawClient[] = [];

afterEach(async (ctx) => {
  for (const r of raws.splice(0)) r.close();
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await closePair(pair, ctx.task.result?.state === 'fail');
  pair = undefined;
});

/** An MQTT.js client (3.1.1, no reconnection) connected to `at`, with an inbox listening before CONNACK. */
async function open(at: HostPort, o: IClientOptions): Promise<{ client: MqttClient; inbox: Inbox; sessionPresent: boolean }> {
  const client = mqtt.connect({ host: at.host, port: at.port, protocol: 'mqtt', protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, keepalive: 0, ...o });
  client.on('error', () => {});
  clients.push(client);
  const inbox = new Inbox(client);
  const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('close', () => reject(new Error(`${o.clientId ?? 'client'}: closed before CONNACK`)));
  });
  return { client, inbox, sessionPresent: connack.sessionPresent };
}

async function publish(at: HostPort, topic: string, payloads: string[], o: { qos: 1 | 2; retain?: boolean }): Promise<void> {
  const { client } = await open(at, { clean: true });
  for (const p of payloads) await client.publishAsync(topic, p, o);
  await client.endAsync();
}

/**
 * The receiving end of QoS 2 as the specification has it, on a raw connection so that the test
 * decides when to answer: a PUBLISH whose packet id is still unreleased is the same message again,
 * not a new delivery; PUBREL releases the id. `delivered` is what the application got.
 */
class Qos2Receiver {
  readonly delivered: string[] = [];
  private readonly unreleased = new Map<number, string>();
  /** Packet ids by payload, for the test to answer selectively. */
  readonly ids = new Map<string, number>();
  readonly dups: Array<{ payload: string; id: number; dup: boolean }> = [];

  take(p: IPublishPacket): void {
    const payload = p.payload.toString();
    const id = p.messageId!;
    this.dups.push({ payload, id, dup: p.dup });
    this.ids.set(payload, id);
    if (this.unreleased.has(id)) return;
    this.unreleased.set(id, payload);
    this.delivered.push(payload);
  }

  release(id: number): void {
    this.unreleased.delete(id);
  }
}

/**
 * Answers like a receiver that keeps up (PUBREC for PUBLISH, PUBCOMP for PUBREL) until nothing
 * came for `quietMs`; returns the packet ids of the PUBRELs it got.
 */
async function answerUntilQuiet(raw: RawClient, r: Qos2Receiver, quietMs = 1500, maxMs = 15_000): Promise<number[]> {
  const pubrels: number[] = [];
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const p = await raw.next(undefined, quietMs).catch(() => undefined);
    if (!p) break;
    if (p.cmd === 'publish') {
      r.take(p);
      raw.send({ cmd: 'pubrec', messageId: p.messageId! });
    } else if (p.cmd === 'pubrel') {
      const id = (p as IPubrelPacket).messageId!;
      r.release(id);
      pubrels.push(id);
      raw.send({ cmd: 'pubcomp', messageId: id });
    }
  }
  return pubrels;
}

describe('MQTT across a SIGKILL takeover', () => {
  it('QoS 1 load loses nothing; sessions, queued messages, retained messages, wills and QoS 2 exactly-once survive', async () => {
    pair = await startLocalPair({ ...WHARF_FROM_SOURCE, protocols: ['mqtt'], env: { WHARF_HA_LEASE_MS: String(TEST_LEASE_MS) } }, [mqttClient]);
    const roles = await pair.ready([mqttClient], 30_000);
    const before = roles.active.addresses.mqtt!;
    const after = roles.standby.addresses.mqtt!;

    // (b) + (d): a persistent session, offline, with messages queued for it.
    const keeper = await open(before, { clientId: 'keeper', clean: false });
    await keeper.client.subscribeAsync({ 'failover/queued': { qos: 1 }, 'failover/will': { qos: 1 } });
    await keeper.client.endAsync();
    await publish(before, 'failover/queued', ['q0', 'q1', 'q2'], { qos: 1 });
    // (c)
    await publish(before, 'failover/retained', ['r1'], { qos: 1, retain: true });
    // (d): a connection with a will, held by the active when it dies.
    await open(before, { clientId: 'mortal', clean: true, will: { topic: 'failover/will', payload: Buffer.from('mortal is gone'), qos: 1, retain: false } });

    // (e) outbound QoS 2: A released (PUBREC sent, PUBREL received, PUBCOMP not yet), B and C unanswered.
    const receiver = new Qos2Receiver();
    const q2sub = await RawClient.connected(before.port, 4, { clientId: 'q2-sub', clean: false });
    raws.push(q2sub);
    q2sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'failover/q2', qos: 2 }] });
    await q2sub.next('suback');
    await publish(before, 'failover/q2', ['A', 'B'], { qos: 2 });
    // (e) inbound QoS 2: C published and PUBREC'd, never released before the crash.
    const q2pub = await RawClient.connected(before.port, 4, { clientId: 'q2-pub', clean: false });
    raws.push(q2pub);
    const cPublish = { cmd: 'publish', topic: 'failover/q2', payload: 'C', qos: 2, messageId: 7, dup: false, retain: false } as const;
    q2pub.send(cPublish);
    await q2pub.next('pubrec');
    while (receiver.delivered.length < 3) receiver.take(await q2sub.next<IPublishPacket>('publish', 10_000));
    expect(receiver.delivered).toEqual(['A', 'B', 'C']);
    const idsBefore = new Map(receiver.ids);
    q2sub.send({ cmd: 'pubrec', messageId: idsBefore.get('A')! });
    receiver.release((await q2sub.next<IPubrelPacket>('pubrel')).messageId!); // its PUBCOMP is lost with the crash

    // (a) the drill's QoS 1 load; it SIGKILLs the active after the warm-up.
    const lines: string[] = [];
    const drill = await runDrill(pair, roles, [mqttClient], {
      ...DEFAULT_DRILL_SETTINGS, mode: 'hard', warmupMs: 1500, afterMs: 500, drainMs: 10_000, takeoverTimeoutMs: 20_000,
    }, 1, (l) => lines.push(l));
    const what = `${drill.failures.join('; ')}; lost ${drill.lostSample.join(', ')}\n${lines.join('\n')}`;
    expect(drill.failures, what).toEqual([]);
    expect(drill.messages.lost, what).toBe(0);
    expect(drill.messages.acknowledged, what).toBeGreaterThan(100);
    expect(drill.to.node, what).toBe(roles.standby.name);
    expect(drill.to.epoch, what).toBe(roles.epoch + 1);
    for (const c of drill.clients) expect(c.reconnectedMs, `${c.name}: ${what}`).toBeDefined();

    // (b) one more message while the session is still offline, now on the new active.
    await publish(after, 'failover/queued', ['q3'], { qos: 1 });
    const back = await open(after, { clientId: 'keeper', clean: false });
    expect(back.sessionPresent).toBe(true);
    const got = await back.inbox.take(5, 10_000);
    const byTopic = (t: string) => got.filter((p) => p.topic === t).map((p) => p.payload.toString());
    expect(byTopic('failover/queued')).toEqual(['q0', 'q1', 'q2', 'q3']);
    // (d) the will of the connection that died with the old active, published by the new one.
    expect(byTopic('failover/will')).toEqual(['mortal is gone']);

    // (c)
    const fresh = await open(after, { clean: true });
    await fresh.client.subscribeAsync('failover/retained', { qos: 1 });
    const [retained] = await fresh.inbox.take(1, 5000);
    expect(retained!.payload.toString()).toBe('r1');
    expect(retained!.retain).toBe(true);

    // (e) inbound: the publisher resends C (DUP) and then releases it; the broker routes it once.
    const q2pubBack = await RawClient.connected(after.port, 4, { clientId: 'q2-pub', clean: false });
    raws.push(q2pubBack);
    q2pubBack.send({ ...cPublish, dup: true });
    await q2pubBack.next('pubrec');
    q2pubBack.send({ cmd: 'pubrel', messageId: 7 });
    await q2pubBack.next('pubcomp');
    // (e) outbound: the resumed session finishes A (PUBREL, not a new PUBLISH) and resends B and C with their packet ids.
    const q2back = await RawClient.connected(after.port, 4, { clientId: 'q2-sub', clean: false });
    raws.push(q2back);
    const resentFrom = receiver.dups.length;
    const pubrels = await answerUntilQuiet(q2back, receiver);
    const resent = receiver.dups.slice(resentFrom);
    expect(pubrels, 'A was released before the crash: PUBREL again').toContain(idsBefore.get('A'));
    expect(resent.filter((d) => d.payload === 'A'), 'A: never a new PUBLISH').toEqual([]);
    for (const payload of ['B', 'C']) {
      expect(resent.filter((d) => d.payload === payload), `${payload}: resent once, same packet id, DUP`).toEqual([{ payload, id: idsBefore.get(payload), dup: true }]);
    }
    expect(receiver.delivered, 'every QoS 2 message reached the application exactly once').toEqual(['A', 'B', 'C']);
  }, 60_000);
});
