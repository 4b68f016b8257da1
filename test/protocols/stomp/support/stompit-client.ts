import stompit from 'stompit';

/** stompit with promises, and received messages collected per subscription. */
export interface Received {
  headers: Record<string, string>;
  body: string;
  raw: stompit.IncomingMessage;
}

export class StompitClient {
  private barriers = 0;

  private constructor(readonly client: stompit.Client) {}

  static connect(options: stompit.ConnectOptions): Promise<StompitClient> {
    return new Promise((resolve, reject) => {
      stompit.connect({ host: '127.0.0.1', timeout: 5000, ...options }, (error, client) => {
        if (error) reject(error);
        else resolve(new StompitClient(client));
      });
    });
  }

  /** A SEND that resolves on its RECEIPT. */
  send(headers: stompit.Headers, body: string | Buffer, transaction?: stompit.Transaction): Promise<void> {
    return new Promise((resolve, reject) => {
      const frame = (transaction ?? this.client).send(headers, { onReceipt: resolve, onError: reject });
      frame.end(body);
    });
  }

  /** Subscribes; `ready` resolves once the broker has processed the SUBSCRIBE. */
  async subscribe(headers: stompit.Headers): Promise<{ messages: Received[]; subscription: stompit.Subscription; next: (count?: number) => Promise<Received[]> }> {
    const messages: Received[] = [];
    let wake: (() => void) | undefined;
    const subscription = this.client.subscribe(headers, (error, message) => {
      if (error) return;
      message.readString('utf-8', (_e, body) => {
        messages.push({ headers: message.headers, body: body ?? '', raw: message });
        wake?.();
      });
    });
    await this.barrier();
    let taken = 0;
    const next = async (count = 1): Promise<Received[]> => {
      const deadline = Date.now() + 5000;
      while (messages.length - taken < count) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} messages, have ${messages.length - taken}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 100);
        });
      }
      const out = messages.slice(taken, taken + count);
      taken += count;
      return out;
    };
    return { messages, subscription, next };
  }

  /** Resolves once every frame sent before has been processed by the broker. */
  barrier(): Promise<void> {
    const transaction = `barrier-${++this.barriers}`;
    return new Promise((resolve, reject) => {
      this.client.sendFrame('BEGIN', { transaction }, { onReceipt: resolve, onError: reject }).end();
      this.client.sendFrame('ABORT', { transaction }).end();
    });
  }

  ack(message: Received): Promise<void> {
    return new Promise((resolve, reject) => this.client.ack(message.raw, {}, { onReceipt: resolve, onError: reject }));
  }

  nack(message: Received): Promise<void> {
    return new Promise((resolve, reject) => this.client.nack(message.raw, {}, { onReceipt: resolve, onError: reject }));
  }

  disconnect(): Promise<void> {
    return new Promise((resolve, reject) => this.client.disconnect((e) => (e ? reject(e) : resolve())));
  }
}
