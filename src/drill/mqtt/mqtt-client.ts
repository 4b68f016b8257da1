import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type {
  DrillConsumer, DrillDelivery, DrillMessage, DrillProducer, DrillProtocolClient, EndpointOptions, HostPort,
} from '../drill-protocol.js';

/**
 * The drill's MQTT client, on MQTT.js (MQTT 5 over TCP) with `servers` set to both brokers of the
 * pair: after a loss MQTT.js reconnects to the next one of the list, every `reconnectPeriod`.
 *
 * MQTT has no queues, so the drill's queue is mapped onto the topic `drill/<queue>`:
 * - a producer publishes QoS 1 there; a send counts as acknowledged on PUBACK, which Wharf sends
 *   only once the message is durable. MQTT.js keeps unacknowledged QoS 1 PUBLISHes and resends
 *   them (DUP) after reconnecting, so a send lost with a connection is usually settled by the
 *   next broker; it is false only when the producer closes first.
 * - a consumer holds a persistent session (a fixed client id per consumer and queue, clean start
 *   off, a session expiry) subscribed at QoS 1, which Wharf keeps as a durable subscription: what
 *   is published while the consumer reconnects waits in its session.
 * Every consumer of the topic gets every message (MQTT fan-out). To keep the drill's queue
 * semantics — each message counted once, later copies being real redeliveries — the consumers
 * of one queue in this process split the messages: a consumer reports only those whose sequence
 * number falls to it (seq modulo the number of consumers) and acknowledges the others unreported.
 */
const CONNECTION: IClientOptions = {
  protocolVersion: 5,
  connectTimeout: 1000,
  reconnectPeriod: 100,
  keepalive: 2,
};

/** A drill session outlives its connection this long, then the broker discards it (a closed consumer discards it at once). */
const SESSION_EXPIRY_S = 300;

const topicOf = (queue: string): string => `drill/${queue}`;

/** Client ids: MQTT allows any UTF-8, but short plain ones pass every broker's checks. */
const clientIdOf = (name: string, queue: string): string => `${name}-${queue}`.replace(/[^A-Za-z0-9_-]/g, '-');

function connect(o: EndpointOptions, options: IClientOptions): MqttClient {
  return mqtt.connect({
    ...CONNECTION,
    servers: o.addresses.map((a) => ({ host: a.host, port: a.port })),
    protocol: 'mqtt',
    ...options,
  });
}

/** Reports the client's connections to the drill, with the broker's address and, for a loss, the reason. */
function reportConnections(client: MqttClient, o: EndpointOptions, onConnect: () => void = () => o.events.connected(remoteOf(client))): void {
  let up = false;
  let reason = 'connection lost';
  client.on('connect', () => {
    up = true;
    reason = 'connection lost';
    onConnect();
  });
  client.on('disconnect', (p) => (reason = `DISCONNECT from the broker (reason 0x${(p.reasonCode ?? 0).toString(16)})`));
  client.on('error', (err) => (reason = `error: ${err.message}`));
  client.on('close', () => {
    if (!up) return;
    up = false;
    o.events.disconnected(reason);
  });
}

function remoteOf(client: MqttClient): HostPort {
  const socket = client.stream as { remoteAddress?: string; remotePort?: number } | undefined;
  return { host: socket?.remoteAddress ?? '?', port: socket?.remotePort ?? 0 };
}

class MqttProducer implements DrillProducer {
  private readonly client: MqttClient;
  private pending = 0;
  private readonly unsettled = new Set<(acknowledged: boolean) => void>();

  constructor(private readonly o: EndpointOptions) {
    // The producer's session holds nothing the drill needs, but a stable id keeps takeovers visible in the broker's logs.
    this.client = connect(o, { clientId: clientIdOf(o.name, o.queue), clean: true });
    reportConnections(this.client, o);
  }

  get connected(): boolean {
    return this.client.connected;
  }

  get inFlight(): number {
    return this.pending;
  }

  send(m: DrillMessage): Promise<boolean> | undefined {
    if (!this.client.connected) return undefined;
    this.pending++;
    return new Promise<boolean>((resolve) => {
      const settle = (acknowledged: boolean): void => {
        if (!this.unsettled.delete(settle)) return;
        this.pending--;
        resolve(acknowledged);
      };
      this.unsettled.add(settle);
      this.client.publish(topicOf(this.o.queue), `${m.producer} ${m.seq}`, {
        qos: 1, properties: { userProperties: { 'drill-producer': m.producer, 'drill-seq': String(m.seq) } },
      }, (err) => settle(!err));
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
    for (const settle of [...this.unsettled]) settle(false);
  }
}

/** The consumers of each queue in this process, in order of creation: they split the messages (see above). */
const consumersByQueue = new Map<string, MqttConsumer[]>();

class MqttConsumer implements DrillConsumer {
  private readonly client: MqttClient;
  private readonly peers: MqttConsumer[];

  constructor(private readonly o: EndpointOptions & { prefetch: number }, onDelivery: (d: DrillDelivery) => void) {
    this.peers = consumersByQueue.get(o.queue) ?? [];
    consumersByQueue.set(o.queue, this.peers);
    this.peers.push(this);
    this.client = connect(o, {
      clientId: clientIdOf(o.name, o.queue),
      clean: false,
      properties: { sessionExpiryInterval: SESSION_EXPIRY_S, receiveMaximum: Math.max(1, Math.min(o.prefetch, 65535)) },
    });
    let subscribed = false;
    // Connected for the drill once subscribed; a resumed session keeps its subscription (MQTT.js subscribes
    // again by itself when the broker says the session was not present).
    reportConnections(this.client, o, () => {
      if (subscribed) {
        o.events.connected(remoteOf(this.client));
        return;
      }
      this.client.subscribe(topicOf(o.queue), { qos: 1 }, (err) => {
        if (err) {
          this.client.end(true);
          o.events.disconnected(`SUBSCRIBE refused: ${err.message}`);
          return;
        }
        subscribed = true;
        o.events.connected(remoteOf(this.client));
      });
    });
    // MQTT.js sends the PUBACK after this handler has run.
    this.client.on('message', (_topic, _payload, packet) => {
      const props = packet.properties?.userProperties ?? {};
      const value = (k: string): string => String(([] as unknown[]).concat(props[k] ?? '')[0]);
      const d: DrillDelivery = { producer: value('drill-producer'), seq: Number(value('drill-seq')), redelivered: packet.dup };
      if (this.owns(d.seq)) onDelivery(d);
    });
  }

  private owns(seq: number): boolean {
    return this.peers.length <= 1 || seq % this.peers.length === this.peers.indexOf(this);
  }

  async close(): Promise<void> {
    // Session Expiry 0 at DISCONNECT: the broker discards the drill's session and its durable subscription.
    await this.client.endAsync(false, { reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
    const at = this.peers.indexOf(this);
    if (at >= 0) this.peers.splice(at, 1);
    if (this.peers.length === 0) consumersByQueue.delete(this.o.queue);
  }
}

export const mqttClient: DrillProtocolClient = {
  protocol: 'mqtt',
  producer: (o) => new MqttProducer(o),
  consumer: (o, onDelivery) => new MqttConsumer(o, onDelivery),
  /** A CONNECT answered by a successful CONNACK, then DISCONNECT. */
  probe(address: HostPort, timeoutMs: number): Promise<boolean> {
    const client = mqtt.connect({
      host: address.host, port: address.port, protocol: 'mqtt', protocolVersion: 5,
      clean: true, reconnectPeriod: 0, connectTimeout: timeoutMs, keepalive: 0,
    });
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const done = (ok: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.end(!ok);
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      client.once('connect', () => done(true));
      client.on('error', () => done(false));
      client.once('close', () => done(false));
    });
  },
};
