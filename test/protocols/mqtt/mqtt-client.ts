import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';

export type Transport = 'tcp' | 'tls' | 'ws' | 'wss';

export interface Endpoint {
  ports: Partial<Record<Transport, number>>;
  tlsCa?: string;
}

/** An MQTT.js client over one of the transports; no automatic reconnects (tests decide). */
export async function connectClient(endpoint: Endpoint, transport: Transport, options: IClientOptions = {}): Promise<MqttClient> {
  return (await connectWithInbox(endpoint, transport, options))[0];
}

/** Like connectClient, with an Inbox listening from before CONNACK (a resumed session delivers at once). */
export async function connectWithInbox(endpoint: Endpoint, transport: Transport, options: IClientOptions = {}): Promise<[MqttClient, Inbox]> {
  const port = endpoint.ports[transport];
  if (!port) throw new Error(`no ${transport} port`);
  const scheme = { tcp: 'mqtt', tls: 'mqtts', ws: 'ws', wss: 'wss' }[transport];
  const client = mqtt.connect(`${scheme}://127.0.0.1:${port}`, {
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...(endpoint.tlsCa ? { ca: endpoint.tlsCa, rejectUnauthorized: true } : {}),
    ...options,
  });
  const inbox = new Inbox(client);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
  return [client, inbox];
}

/** Collects a client's messages; `take(n)` waits for n of them. */
export class Inbox {
  readonly messages: IPublishPacket[] = [];
  private waiters: Array<() => void> = [];

  constructor(client: MqttClient) {
    client.on('message', (topic, _payload, packet) => {
      this.messages.push({ ...packet, topic }); // the topic as resolved from a Topic Alias
      const w = this.waiters;
      this.waiters = [];
      w.forEach((f) => f());
    });
  }

  async take(n: number, timeoutMs = 4000): Promise<IPublishPacket[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`got ${this.messages.length} of ${n} messages`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.messages.splice(0, n);
  }

  /** Waits `ms` and returns whatever arrived (to check that nothing more did). */
  async quiet(ms = 300): Promise<IPublishPacket[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.messages.splice(0);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
