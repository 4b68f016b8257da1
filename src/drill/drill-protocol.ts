/**
 * The drill's client side, one implementation per protocol (stomp-client.ts today; MQTT, AMQP and
 * OpenWire clients slot in by implementing DrillProtocolClient and joining protocol-clients.ts).
 * Everything else in the drill — pacing, the ledger of messages, timing, the verdict — is
 * protocol-neutral and talks only to these interfaces.
 */
export interface HostPort {
  host: string;
  port: number;
}

/** One message of the drill: producer name plus a sequence number that grows per producer. */
export interface DrillMessage {
  producer: string;
  seq: number;
}

export interface DrillDelivery extends DrillMessage {
  /** The broker says it delivered this message before (STOMP `redelivered`, AMQP delivery-count, ...). */
  redelivered: boolean;
}

/** Connection events an endpoint reports; the drill timestamps them. */
export interface EndpointEvents {
  connected(address: HostPort): void;
  disconnected(reason: string): void;
}

export interface EndpointOptions {
  /** e.g. `stomp-p0`; also the producer name carried in each message. */
  name: string;
  /** Every broker of the pair: the client connects to the first that answers, and reconnects around the list. */
  addresses: readonly HostPort[];
  /** A queue name (anycast), without protocol prefixes. */
  queue: string;
  events: EndpointEvents;
}

export interface DrillProducer {
  readonly connected: boolean;
  /** Sends not yet acknowledged. */
  readonly inFlight: number;
  /**
   * Sends one persistent message. The promise says true once the broker acknowledged it (durable),
   * false if the connection was lost first; undefined when not connected (nothing was sent).
   */
  send(m: DrillMessage): Promise<boolean> | undefined;
  close(): Promise<void>;
}

export interface DrillConsumer {
  close(): Promise<void>;
}

export interface DrillProtocolClient {
  readonly protocol: string;
  producer(o: EndpointOptions): DrillProducer;
  /** Consumes with per-message acknowledgement; `onDelivery` runs before the message is acknowledged. */
  consumer(o: EndpointOptions & { prefetch: number }, onDelivery: (d: DrillDelivery) => void): DrillConsumer;
  /** True when `address` serves this protocol now (a full protocol handshake, not just a TCP accept). */
  probe(address: HostPort, timeoutMs: number): Promise<boolean>;
}

export function formatHostPort(a: HostPort): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** Parses `host:port` (or `[v6]:port`); throws with the text when it is not one. */
export function parseHostPort(text: string): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`expected host:port, got ${JSON.stringify(text)}`);
  return { host: m[1] ?? m[2]!, port };
}
