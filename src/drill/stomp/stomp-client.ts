import type {
  DrillConsumer, DrillDelivery, DrillMessage, DrillProducer, DrillProtocolClient, EndpointOptions, HostPort,
} from '../drill-protocol.js';
import { ReconnectingStomp } from './reconnecting-stomp.js';
import type { StompFrame } from './stomp-frame.js';
import { StompSession, type StompSessionOptions } from './stomp-session.js';

/** Connection settings of the drill's STOMP clients. */
const SESSION: StompSessionOptions = { connectTimeoutMs: 1000, heartbeatMs: 1000 };
const BACKOFF = { backoffMinMs: 20, backoffMaxMs: 100 };

const PRODUCER_HEADER = 'drill-producer';
const SEQ_HEADER = 'drill-seq';

/** Broker ERROR frames end the connection (the broker closes it too); the reason names the error. */
function errorReason(f: StompFrame): string {
  return `ERROR: ${f.headers.message ?? f.body.slice(0, 200)}`;
}

class StompProducer implements DrillProducer {
  private readonly connection: ReconnectingStomp;
  private readonly pending = new Map<string, (acknowledged: boolean) => void>();
  private receipts = 0;

  constructor(private readonly o: EndpointOptions) {
    this.connection = new ReconnectingStomp({
      ...SESSION, ...BACKOFF, addresses: o.addresses,
      onConnected: (s) => o.events.connected(s.address),
      onDisconnected: (reason) => {
        // Receipts never come over a lost connection: those sends are in doubt.
        for (const settle of this.pending.values()) settle(false);
        this.pending.clear();
        o.events.disconnected(reason);
      },
      onFrame: (f, s) => {
        if (f.command === 'RECEIPT') {
          const id = f.headers['receipt-id'] ?? '';
          this.pending.get(id)?.(true);
          this.pending.delete(id);
        } else if (f.command === 'ERROR') {
          s.destroy(errorReason(f));
        }
      },
    });
  }

  get connected(): boolean {
    return this.connection.current !== undefined;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  send(m: DrillMessage): Promise<boolean> | undefined {
    const session = this.connection.current;
    if (!session) return undefined;
    const receipt = `${this.receipts++}`;
    const sent = new Promise<boolean>((resolve) => this.pending.set(receipt, resolve));
    session.write('SEND', {
      destination: `/queue/${this.o.queue}`, persistent: 'true', receipt, [PRODUCER_HEADER]: m.producer, [SEQ_HEADER]: m.seq,
    }, `${m.producer} ${m.seq}`);
    return sent;
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

class StompConsumer implements DrillConsumer {
  private readonly connection: ReconnectingStomp;

  constructor(o: EndpointOptions & { prefetch: number }, onDelivery: (d: DrillDelivery) => void) {
    this.connection = new ReconnectingStomp({
      ...SESSION, ...BACKOFF, addresses: o.addresses,
      onConnected: (s) => {
        s.write('SUBSCRIBE', { id: '0', destination: `/queue/${o.queue}`, ack: 'client-individual', 'activemq.prefetchSize': o.prefetch });
        o.events.connected(s.address);
      },
      onDisconnected: (reason) => o.events.disconnected(reason),
      onFrame: (f, s) => {
        if (f.command === 'MESSAGE') {
          onDelivery({
            producer: f.headers[PRODUCER_HEADER] ?? '',
            seq: Number(f.headers[SEQ_HEADER]),
            redelivered: f.headers.redelivered === 'true',
          });
          s.write('ACK', { id: f.headers.ack ?? '' });
        } else if (f.command === 'ERROR') {
          s.destroy(errorReason(f));
        }
      },
    });
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

export const stompClient: DrillProtocolClient = {
  protocol: 'stomp',
  producer: (o) => new StompProducer(o),
  consumer: (o, onDelivery) => new StompConsumer(o, onDelivery),
  async probe(address: HostPort, timeoutMs: number): Promise<boolean> {
    try {
      const session = await StompSession.open(address, { connectTimeoutMs: timeoutMs, heartbeatMs: 0 });
      await session.close();
      return true;
    } catch {
      return false;
    }
  },
};
