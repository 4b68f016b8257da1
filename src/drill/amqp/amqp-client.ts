import type { Socket } from 'node:net';
import type { Delivery, EventContext, Message, Receiver, Sender } from 'rhea';
import type {
  DrillConsumer, DrillDelivery, DrillMessage, DrillProducer, DrillProtocolClient, EndpointOptions, HostPort,
} from '../drill-protocol.js';
import { openAmqpConnection, ReconnectingAmqp } from './reconnecting-amqp.js';

const PRODUCER_PROPERTY = 'drill-producer';
const SEQ_PROPERTY = 'drill-seq';

/** ActiveMQ's prefix: the drill's queue is anycast whatever the broker's default for bare names. */
const queueAddress = (queue: string): string => `queue://${queue}`;

/** Durable messages, sent unsettled (at-least-once): the broker's `accepted` means journaled. */
class AmqpProducer implements DrillProducer {
  private readonly connection: ReconnectingAmqp<Sender>;
  private readonly pending = new Map<Delivery, (acknowledged: boolean) => void>();

  constructor(o: EndpointOptions) {
    this.connection = new ReconnectingAmqp({
      name: o.name, addresses: o.addresses, events: o.events,
      attach: (c) => {
        const sender = c.open_sender({ name: o.name, target: { address: queueAddress(o.queue) } });
        sender.on('accepted', (ctx: EventContext) => this.settle(ctx.delivery, true));
        // Not taken: rejected (with a condition), released, modified (rhea reports it as released).
        for (const outcome of ['rejected', 'released']) sender.on(outcome, (ctx: EventContext) => this.settle(ctx.delivery, false));
        return sender;
      },
      // Outcomes never come over a lost connection or a detached link: those sends are in doubt.
      onLinkDown: () => {
        for (const settle of this.pending.values()) settle(false);
        this.pending.clear();
      },
    });
  }

  private settle(delivery: Delivery | undefined, acknowledged: boolean): void {
    if (!delivery) return;
    this.pending.get(delivery)?.(acknowledged);
    this.pending.delete(delivery);
  }

  get connected(): boolean {
    return this.connection.connected;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  send(m: DrillMessage): Promise<boolean> | undefined {
    const sender = this.connection.current;
    if (!sender) return undefined;
    const message: Message = {
      durable: true,
      message_id: `${m.producer}-${m.seq}`,
      application_properties: { [PRODUCER_PROPERTY]: m.producer, [SEQ_PROPERTY]: m.seq },
      body: `${m.producer} ${m.seq}`,
    };
    // rhea holds the transfer until the link has credit.
    const delivery = sender.send(message);
    return new Promise<boolean>((resolve) => this.pending.set(delivery, resolve));
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

/** Credit = prefetch (rhea tops it up as messages come); each message accepted after `onDelivery`. */
class AmqpConsumer implements DrillConsumer {
  private readonly connection: ReconnectingAmqp<Receiver>;

  constructor(o: EndpointOptions & { prefetch: number }, onDelivery: (d: DrillDelivery) => void) {
    this.connection = new ReconnectingAmqp({
      name: o.name, addresses: o.addresses, events: o.events,
      attach: (c) => {
        const receiver = c.open_receiver({ name: o.name, source: { address: queueAddress(o.queue) }, credit_window: o.prefetch, autoaccept: false });
        receiver.on('message', (ctx: EventContext) => {
          const properties = ctx.message?.application_properties ?? {};
          onDelivery({
            producer: String(properties[PRODUCER_PROPERTY] ?? ''),
            seq: Number(properties[SEQ_PROPERTY]),
            redelivered: (ctx.message?.delivery_count ?? 0) > 0,
          });
          ctx.delivery?.accept();
        });
        return receiver;
      },
    });
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

/** True when `address` completes an AMQP open within `timeoutMs`; the connection is closed again. */
function probe(address: HostPort, timeoutMs: number): Promise<boolean> {
  const connection = openAmqpConnection('wharf-drill-probe', () => address, false);
  return new Promise<boolean>((resolve) => {
    let done = false;
    const finish = (serves: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (serves) connection.close();
      // The close frame goes out on rhea's next tick; the socket need not wait for the broker's answer.
      setImmediate(() => (connection.socket as Socket | undefined)?.destroy());
      resolve(serves);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    connection.on('connection_open', () => finish(true));
    connection.on('connection_error', () => finish(false));
    connection.on('disconnected', () => finish(false));
  });
}

export const amqpClient: DrillProtocolClient = {
  protocol: 'amqp',
  producer: (o) => new AmqpProducer(o),
  consumer: (o, onDelivery) => new AmqpConsumer(o, onDelivery),
  probe,
};
