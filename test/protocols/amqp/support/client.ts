import rhea from 'rhea';
import type {
  Connection, ConnectionOptions, Delivery, EventContext, Message, Receiver, ReceiverOptions, Sender, SenderOptions,
} from 'rhea';
import type { EngineConnection, InboundFrame } from '../../../../protocols/amqp/rhea-engine.js';

/** Promise helpers over the rhea client, for tests. */

let containers = 0;

export interface ConnectOptions extends Record<string, unknown> {
  /** The container-id (client id); a fresh one by default. */
  id?: string;
  /** Receive raw message bytes (context.message is a Buffer) instead of decoded messages. */
  raw?: boolean;
}

export function connect(port: number, options: ConnectOptions = {}): Promise<Connection> {
  const { id, raw, ...rest } = options;
  const container = rhea.create_container({ id: id ?? `test-client-${process.pid}-${++containers}` });
  const connection = container.connect({ host: '127.0.0.1', port, reconnect: false, ...rest } as ConnectionOptions);
  // Errors end the test's await instead of being thrown by rhea's emitter.
  container.on('error', () => undefined);
  if (raw) rawMessages(connection);
  return opened(connection);
}

export function opened(connection: Connection): Promise<Connection> {
  return new Promise((resolve, reject) => {
    connection.once('connection_open', () => resolve(connection));
    connection.once('connection_error', (c: EventContext) => reject(c.error ?? c.connection.error ?? new Error('connection error')));
    connection.once('disconnected', (c: EventContext) => reject(c.error ?? new Error('disconnected before open')));
  });
}

/** Makes rhea hand over the raw bytes of standard-format messages (as the adapter does). */
export function rawMessages(connection: Connection): void {
  const engine = connection as unknown as EngineConnection;
  const proto = Object.getPrototypeOf(engine) as EngineConnection;
  engine.on_transfer = (frame: InboundFrame) => {
    if (frame.performative['message_format'] === 0) frame.performative['message_format'] = null;
    proto.on_transfer.call(engine, frame);
  };
}

export function openSender(connection: Connection, options: SenderOptions | string): Promise<Sender> {
  const sender = connection.open_sender(options);
  return linkOpened(sender, 'sender');
}

export function openReceiver(connection: Connection, options: ReceiverOptions | string): Promise<Receiver> {
  const receiver = connection.open_receiver(options);
  return linkOpened(receiver, 'receiver');
}

function linkOpened<T extends Sender | Receiver>(link: T, kind: 'sender' | 'receiver'): Promise<T> {
  return new Promise((resolve, reject) => {
    // A refused link comes back with a null terminus, then a detach with the error (spec 2.6.3).
    link.once(`${kind}_open`, () => {
      const terminus = (kind === 'sender' ? link.target : link.source) as { value?: unknown } | null;
      // rhea gives a null terminus as a Typed null.
      if (terminus && !('value' in terminus && terminus.value === null)) resolve(link);
    });
    link.once(`${kind}_error`, (c: EventContext) => reject(linkError(c, kind)));
    link.once(`${kind}_close`, (c: EventContext) => reject(linkError(c, kind)));
  });
}

function linkError(c: EventContext, kind: 'sender' | 'receiver'): Error {
  const link = kind === 'sender' ? c.sender : c.receiver;
  const error = link?.error as { condition?: string; description?: string } | undefined;
  return Object.assign(new Error(error?.description ?? `${kind} closed`), { condition: error?.condition });
}

export type OutcomeName = 'accepted' | 'rejected' | 'released' | 'modified';

export interface SendResult {
  outcome: OutcomeName | 'settled';
  delivery: Delivery;
}

/** Sends and waits for the outcome (or for settlement, for a presettled send). */
export function send(sender: Sender, message: Message | Buffer, format?: number): Promise<SendResult> {
  return new Promise((resolve) => {
    const delivery = format === undefined ? sender.send(message as Message) : sender.send(message as Buffer, undefined, format);
    if (delivery.settled) {
      resolve({ outcome: 'settled', delivery });
      return;
    }
    const done = (outcome: OutcomeName) => (c: EventContext) => {
      if (c.delivery !== delivery) return;
      for (const [event, l] of listeners) sender.removeListener(event, l);
      resolve({ outcome, delivery });
    };
    const listeners: Array<[OutcomeName, (c: EventContext) => void]> = (['accepted', 'rejected', 'released', 'modified'] as const).map((o) => [o, done(o)]);
    for (const [event, l] of listeners) sender.on(event, l);
  });
}

export async function whenSendable(sender: Sender): Promise<void> {
  if (sender.sendable()) return;
  await new Promise((resolve) => sender.once('sendable', resolve));
}

export interface Received {
  message: Message & Buffer;
  delivery: Delivery;
}

/** Collects the next `n` messages (rejects after timeoutMs). */
export function receive(receiver: Receiver, n: number, timeoutMs = 5000): Promise<Received[]> {
  return new Promise((resolve, reject) => {
    const got: Received[] = [];
    const timer = setTimeout(() => {
      receiver.removeListener('message', onMessage);
      reject(new Error(`received ${got.length} of ${n} messages`));
    }, timeoutMs);
    const onMessage = (c: EventContext): void => {
      got.push({ message: c.message as Message & Buffer, delivery: c.delivery! });
      if (got.length < n) return;
      clearTimeout(timer);
      receiver.removeListener('message', onMessage);
      resolve(got);
    };
    receiver.on('message', onMessage);
  });
}

/** Resolves with the messages that arrive within `ms` (to check that none or few do). */
export function receiveFor(receiver: Receiver, ms: number): Promise<Received[]> {
  return new Promise((resolve) => {
    const got: Received[] = [];
    const onMessage = (c: EventContext): void => {
      got.push({ message: c.message as Message & Buffer, delivery: c.delivery! });
    };
    receiver.on('message', onMessage);
    setTimeout(() => {
      receiver.removeListener('message', onMessage);
      resolve(got);
    }, ms);
  });
}

export function closeConnection(connection: Connection): Promise<void> {
  if (!connection.is_open()) return Promise.resolve();
  return new Promise((resolve) => {
    connection.once('connection_close', () => resolve());
    connection.once('disconnected', () => resolve());
    connection.close();
  });
}

export function closeLink(link: Sender | Receiver): Promise<void> {
  return new Promise((resolve) => {
    link.once(link.is_sender() ? 'sender_close' : 'receiver_close', () => resolve());
    link.close();
  });
}

/** Detaches without closing (a durable subscription stays). */
export function detachLink(link: Sender | Receiver): Promise<void> {
  return new Promise((resolve) => {
    link.once(link.is_sender() ? 'sender_close' : 'receiver_close', () => resolve());
    link.detach();
  });
}

export const types = rhea.types;
export const messageUtil = rhea.message;
export const filter = rhea.filter;
export { rhea };
