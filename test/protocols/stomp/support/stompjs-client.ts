import { Client, type IFrame, type IMessage, type StompHeaders } from '@stomp/stompjs';
import WebSocket from 'ws';

export interface StompjsOptions {
  url: string;
  ca?: string;
  connectHeaders?: StompHeaders;
  heartbeatMs?: number;
}

/** @stomp/stompjs in Node, on the `ws` WebSocket, with promises and collected messages. */
export class StompjsClient {
  readonly errors: IFrame[] = [];
  closed = false;
  protocol: string | undefined;
  private receipts = 0;

  private constructor(readonly client: Client) {}

  static connect(options: StompjsOptions): Promise<StompjsClient> {
    return new Promise((resolve, reject) => {
      let wrapper: StompjsClient | undefined;
      const client = new Client({
        webSocketFactory: () => {
          const ws = new WebSocket(options.url, ['v12.stomp', 'v11.stomp', 'v10.stomp'], options.ca ? { ca: options.ca } : {});
          ws.on('open', () => (wrapper!.protocol = ws.protocol));
          return ws;
        },
        connectHeaders: options.connectHeaders ?? {},
        reconnectDelay: 0,
        heartbeatIncoming: options.heartbeatMs ?? 0,
        heartbeatOutgoing: options.heartbeatMs ?? 0,
        debug: () => undefined,
        onConnect: () => resolve(wrapper!),
        onStompError: (frame) => {
          wrapper!.errors.push(frame);
          reject(new Error(frame.headers.message));
        },
        onWebSocketClose: () => {
          wrapper!.closed = true;
          reject(new Error('closed before CONNECTED'));
        },
      });
      wrapper = new StompjsClient(client);
      client.activate();
    });
  }

  /** Resolves on the RECEIPT of a frame sent by `send(receiptId)`. */
  withReceipt(send: (receipt: string) => void): Promise<void> {
    const receipt = `r-${++this.receipts}`;
    const done = new Promise<void>((resolve) => this.client.watchForReceipt(receipt, () => resolve()));
    send(receipt);
    return done;
  }

  publish(destination: string, body: string | Uint8Array, headers: StompHeaders = {}): Promise<void> {
    return this.withReceipt((receipt) =>
      this.client.publish({
        destination,
        headers: { ...headers, receipt },
        ...(typeof body === 'string' ? { body } : { binaryBody: body }),
      }),
    );
  }

  async subscribe(destination: string, headers: StompHeaders = {}) {
    const messages: IMessage[] = [];
    let taken = 0;
    let subscription!: ReturnType<Client['subscribe']>;
    await this.withReceipt((receipt) => {
      subscription = this.client.subscribe(destination, (m) => messages.push(m), { ...headers, receipt });
    });
    const next = async (count = 1): Promise<IMessage[]> => {
      const deadline = Date.now() + 5000;
      while (messages.length - taken < count) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} messages, have ${messages.length - taken}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      taken += count;
      return messages.slice(taken - count, taken);
    };
    return { messages, subscription, next };
  }

  /** Resolves once the broker has processed every frame sent before (a receipted SUBSCRIBE to a private temp queue). */
  async barrier(): Promise<void> {
    let subscription!: ReturnType<Client['subscribe']>;
    await this.withReceipt((receipt) => {
      subscription = this.client.subscribe('/temp-queue/barrier', () => undefined, { receipt });
    });
    subscription.unsubscribe();
  }

  async disconnect(): Promise<void> {
    await this.client.deactivate();
  }
}
