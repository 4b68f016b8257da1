import type { Logger } from 'pino';
import type {
  BrokerError,
  BrowsedMessage,
  ConsumerId,
  Core,
  CoreMessage,
  CoreSession,
  Delivery,
  DeliverySink,
  TransportConnection,
  TxId,
} from '../../src/spi/index.js';
import { FrameDecodeError, FrameDecoder } from './codec/frame-decoder.js';
import { HEARTBEAT } from './codec/frame-encoder.js';
import type { HeaderList, InboundFrame, RawFrame, StompVersion } from './codec/frame.js';
import { unescapeFrame } from './codec/header-escaping.js';
import type { StompConfig } from './config.js';
import { errorFrameFor, ProtocolError } from './errors.js';
import type { StompContext } from './handlers/context.js';
import { dispatch, isConnectFrame } from './handlers/index.js';
import { HeartbeatMonitor, type HeartbeatPlan } from './heartbeat.js';
import { DestinationMap, messageFrameBody, writeMessageFrameHeaders, type MessageFrameContext } from './mapping.js';
import { Outbox } from './outbox.js';
import { SubscriptionRegistry, type ConsumerSubscription, type Subscription } from './subscriptions.js';

/**
 * Connection lifecycle:
 *   awaiting-connect ──session-opened──▶ connected
 *   awaiting-connect | connected ──disconnected | failed──▶ closing ──transport-closed──▶ closed
 *   any ──transport-closed──▶ closed
 * Frames are handled only in the first two states; `closing` flushes what is written and ends.
 */
export type ConnectionState = 'awaiting-connect' | 'connected' | 'closing' | 'closed';
export type ConnectionEvent = 'session-opened' | 'disconnected' | 'failed' | 'transport-closed';

export function nextState(state: ConnectionState, event: ConnectionEvent): ConnectionState {
  if (event === 'transport-closed') return 'closed';
  switch (state) {
    case 'awaiting-connect':
      return event === 'session-opened' ? 'connected' : 'closing';
    case 'connected':
      if (event === 'session-opened') throw new Error('session opened twice');
      return 'closing';
    case 'closing':
      return 'closing';
    case 'closed':
      return 'closed';
    default: {
      const unreachable: never = state;
      return unreachable;
    }
  }
}

export interface ConnectionDeps {
  core: Core;
  config: StompConfig;
  log: Logger;
}

/** Above this many decoded but unhandled frames or body bytes the socket is paused until the handlers catch up. */
const INBOX_LIMIT_FRAMES = 1000;
const INBOX_LIMIT_BYTES = 1024 * 1024;

/**
 * Bytes a connection reads per event-loop turn; past them it is paused until the next turn. While
 * data keeps coming, libuv reads one socket up to 32 times (2 MiB) in a turn: a producer that is
 * answered (RECEIPT) as fast as it sends would be read many times for each read of a consumer's
 * acknowledgements, so the consumer would starve and the queue between them grow.
 */
const READ_SHARE_BYTES = 64 * 1024;

const HEARTBEAT_BYTES = Buffer.from(HEARTBEAT);

/** Awaited to let already-queued promise reactions run (one microtask) before going on. */
const YIELD: Promise<void> = Promise.resolve();

/**
 * One STOMP connection: decodes frames, runs their handlers one at a time and in order (a handler
 * that waits for the core — CONNECT, SUBSCRIBE, COMMIT — holds the frames behind it), writes
 * frames out, and is the core's DeliverySink for its session.
 */
export class StompConnection implements StompContext, DeliverySink {
  readonly core: Core;
  readonly config: StompConfig;
  readonly log: Logger;
  readonly subscriptions = new SubscriptionRegistry();
  readonly transactions = new Map<string, TxId>();
  readonly destinations: DestinationMap;
  /** Resolves once the transport is closed. */
  readonly closed: Promise<void>;

  private state: ConnectionState = 'awaiting-connect';
  private coreSession: CoreSession | undefined;
  private negotiated: StompVersion = '1.0';
  private readonly decoder: FrameDecoder;
  private readonly outbox: Outbox;
  /** Decoded frames not yet handled: inbox[inboxHead] is the next one. */
  private inbox: Array<RawFrame | FrameDecodeError> = [];
  private inboxHead = 0;
  private inboxBytes = 0;
  private pumping = false;
  private paused = false;
  /** Bytes read in this event-loop turn, and whether that was this connection's share (see READ_SHARE_BYTES). */
  private readThisTurn = 0;
  private shareUsed = false;
  private lastRead = Date.now();
  /** Tracked operations not yet finished, and how many were ever tracked. */
  private pendingOperations = 0;
  private trackedOperations = 0;
  private settledWaiters: Array<() => void> = [];
  private heartbeat: HeartbeatMonitor | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private resolveClosed!: () => void;

  constructor(
    private readonly transport: TransportConnection,
    deps: ConnectionDeps,
  ) {
    this.core = deps.core;
    this.config = deps.config;
    this.log = deps.log;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.destinations = new DestinationMap(() => this.session);
    this.decoder = new FrameDecoder(this.config);
    this.outbox = new Outbox(transport, (writable) => this.coreSession?.setWritable(writable));
    transport.onData((chunk) => this.guard(() => this.onData(chunk)));
    transport.onClose((error) => this.guard(() => this.onTransportClosed(error)));
    this.connectTimer = setTimeout(
      () => this.guard(() => this.fail(new ProtocolError(`No CONNECT frame received within ${this.config.idleTimeoutMs} ms`))),
      this.config.idleTimeoutMs,
    );
    this.connectTimer.unref();
    this.log.debug({ transport: transport.transport, remote: transport.remoteAddress }, 'connection accepted');
  }

  // ---- StompContext ----

  get remoteAddress(): string {
    return this.transport.remoteAddress;
  }

  get sink(): DeliverySink {
    return this;
  }

  get version(): StompVersion {
    return this.negotiated;
  }

  get session(): CoreSession {
    if (this.coreSession === undefined) throw new ProtocolError('Not connected.');
    return this.coreSession;
  }

  opened(session: CoreSession, version: StompVersion, heartbeat: HeartbeatPlan, connected: HeaderList): void {
    if (this.state !== 'awaiting-connect') {
      // The connection went away while CONNECT was being authenticated.
      void session.close().catch((err: unknown) => this.log.debug({ err }, 'closing an orphaned session failed'));
      return;
    }
    this.coreSession = session;
    this.negotiated = version;
    this.transition('session-opened');
    clearTimeout(this.connectTimer);
    this.write('CONNECTED', connected);
    if (heartbeat.sendMs > 0 || heartbeat.receiveMs > 0) {
      this.heartbeat = new HeartbeatMonitor(heartbeat, this.config.heartbeatGraceFactor, {
        lastReadAt: () => this.lastRead,
        lastWriteAt: () => this.outbox.lastWriteAt,
        beat: () => this.guard(() => this.outbox.write(HEARTBEAT_BYTES)),
        timedOut: (silentMs) => this.guard(() => this.fail(new ProtocolError(`No heart-beat from the client for ${silentMs} ms`))),
      });
      this.heartbeat.start();
    }
    this.log.debug({ version, session: session.id, clientId: session.clientId, heartbeat: heartbeat.header }, 'connected');
  }

  receipt(frame: InboundFrame): void {
    const id = frame.headers.get('receipt');
    if (id !== undefined && this.active) this.write('RECEIPT', [['receipt-id', id]]);
  }

  track(frame: InboundFrame, operation: () => Promise<void>): void {
    let started: Promise<void>;
    try {
      started = operation();
    } catch (e) {
      started = Promise.reject(e);
    }
    this.pendingOperations++;
    this.trackedOperations++;
    this.updateFlow();
    // One reaction per operation, no promise chain: this runs for every SEND and ACK.
    started.then(
      () => this.operationSucceeded(frame),
      (e: unknown) => this.operationFailed(frame, e),
    );
  }

  settled(): Promise<void> {
    if (this.pendingOperations === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  private operationSucceeded(frame: InboundFrame): void {
    try {
      this.receipt(frame);
    } catch (e) {
      this.unexpected(e);
    }
    this.operationEnded();
  }

  private operationFailed(frame: InboundFrame, error: unknown): void {
    try {
      this.fail(error, frame);
    } catch (e) {
      this.unexpected(e);
    }
    this.operationEnded();
  }

  private operationEnded(): void {
    this.pendingOperations--;
    if (this.pendingOperations === 0 && this.settledWaiters.length > 0) {
      const waiters = this.settledWaiters;
      this.settledWaiters = [];
      for (const resolve of waiters) resolve();
    }
    try {
      this.updateFlow();
    } catch (e) {
      this.unexpected(e);
    }
  }

  disconnect(frame: InboundFrame): void {
    this.receipt(frame);
    this.close('disconnected');
  }

  // ---- DeliverySink ----

  deliver(delivery: Delivery): void {
    // The core starts a consumer's deliveries only after its subscribe() resolved, so an unknown
    // consumer is one already gone: the core takes the delivery back when it closes it.
    const sub = this.subscriptions.ofConsumer(delivery.consumerId);
    if (sub === undefined || !this.active) return;
    try {
      this.writeMessage(sub, delivery);
    } catch (e) {
      this.unexpected(e);
    }
  }

  private writeMessage(sub: ConsumerSubscription, delivery: Delivery): void {
    const m = delivery.message;
    const pending = sub.ackMode === 'auto' ? undefined : this.subscriptions.track(sub, delivery.id, m.messageId);
    this.writeMessageFrame(m, {
      subscriptionId: sub.id,
      redelivered: delivery.redelivered,
      ackId: pending !== undefined && this.negotiated === '1.2' ? pending.ackId : undefined,
    });
  }

  private writeMessageFrame(m: CoreMessage, context: MessageFrameContext): void {
    writeMessageFrameHeaders(m, context, this.destinations, this.outbox.beginFrame('MESSAGE', this.negotiated));
    const { body, withContentLength } = messageFrameBody(m);
    this.outbox.endFrame(body, withContentLength);
  }

  browsed(sub: Subscription, messages: BrowsedMessage[]): void {
    for (const b of messages) this.writeMessageFrame(b.message, { subscriptionId: sub.id, redelivered: b.redelivered });
    // ActiveMQ's end of a browse: a MESSAGE with `browser:end` and no body.
    const end = this.outbox.beginFrame('MESSAGE', this.negotiated);
    end.header('subscription', sub.id);
    end.header('destination', this.destinations.format(sub.address));
    end.header('message-id', 'browser:end');
    end.header('browser', 'end');
    this.outbox.endFrame();
  }

  consumerClosed(consumer: ConsumerId, reason: BrokerError): void {
    this.guard(() => {
      const sub = this.subscriptions.ofConsumer(consumer);
      if (sub !== undefined) this.subscriptions.remove(sub);
      this.log.debug({ subscription: sub?.id, code: reason.code }, 'the core closed a subscription');
    });
  }

  sessionClosed(reason: BrokerError): void {
    this.guard(() => {
      // The core already closed the session: nothing to close on our side.
      this.coreSession = undefined;
      this.fail(reason);
    });
  }

  // ---- lifecycle ----

  /** Closes without an ERROR frame (adapter shutdown, step-down). */
  shutdown(): Promise<void> {
    if (this.active) this.close('failed');
    return this.closed;
  }

  private get active(): boolean {
    return this.state === 'awaiting-connect' || this.state === 'connected';
  }

  private transition(event: ConnectionEvent): void {
    this.state = nextState(this.state, event);
  }

  private onData(chunk: Buffer): void {
    this.lastRead = Date.now();
    if (!this.active) return;
    this.countRead(chunk.length);
    const { frames, error } = this.decoder.push(chunk);
    for (const frame of frames) {
      this.inbox.push(frame);
      this.inboxBytes += frame.body.length;
    }
    if (error !== undefined) this.inbox.push(error);
    this.updateFlow();
    if (!this.pumping) this.pump().catch((e: unknown) => this.guard(() => this.fail(e)));
  }

  private countRead(bytes: number): void {
    if (this.readThisTurn === 0) {
      setImmediate(() => {
        this.readThisTurn = 0;
        this.shareUsed = false;
        this.guard(() => this.updateFlow());
      });
    }
    this.readThisTurn += bytes;
    if (this.readThisTurn >= READ_SHARE_BYTES) this.shareUsed = true;
  }

  private get inboxLength(): number {
    return this.inbox.length - this.inboxHead;
  }

  private nextInboxItem(): RawFrame | FrameDecodeError | undefined {
    if (this.inboxHead === this.inbox.length) return undefined;
    const item = this.inbox[this.inboxHead++]!;
    if (this.inboxHead === this.inbox.length) {
      this.inbox = [];
      this.inboxHead = 0;
    }
    return item;
  }

  /**
   * Handles the inbox in order. A handler that returns a promise (CONNECT, SUBSCRIBE, COMMIT, ...)
   * holds the frames behind it until it settles; the others run back to back, without a microtask
   * hop each. After a frame that started a tracked operation (SEND, ACK, NACK) it yields once, so
   * that an operation the core refused at once (an already rejected promise) fails the connection
   * before the frames behind it run, as on ActiveMQ.
   */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.active) {
        const item = this.nextInboxItem();
        if (item === undefined) break;
        if (item instanceof FrameDecodeError) {
          this.fail(item);
          break;
        }
        this.inboxBytes -= item.body.length;
        const tracked = this.trackedOperations;
        const waiting = this.handle(item);
        if (waiting !== undefined) await waiting;
        else if (this.trackedOperations !== tracked) await YIELD;
      }
    } finally {
      this.pumping = false;
      this.updateFlow();
    }
  }

  /** Runs a frame's handler; returns its promise if it has one. Failures close the connection. */
  private handle(raw: RawFrame): Promise<void> | undefined {
    let frame: InboundFrame | undefined;
    try {
      // CONNECT is never escaped; ActiveMQ reads it, like any 1.0 frame, with values trimmed.
      frame = unescapeFrame(raw, isConnectFrame(raw) ? '1.0' : this.negotiated);
      if (this.log.isLevelEnabled('debug')) {
        this.log.debug({ command: frame.command, receipt: frame.headers.get('receipt'), bodyBytes: frame.body.length }, 'frame');
      }
      const handled = dispatch(frame, this, this.state === 'connected' ? 'connected' : 'awaiting-connect');
      if (handled === undefined) return undefined;
      const handledFrame = frame;
      return handled.catch((e: unknown) => this.fail(e, handledFrame));
    } catch (e) {
      this.fail(e, frame);
      return undefined;
    }
  }

  /** ERROR (with the detail, never internals), then close. Later failures are ignored. */
  private fail(error: unknown, frame?: InboundFrame): void {
    if (!this.active) return;
    const { headers, body, unexpected } = errorFrameFor(error, frame);
    if (unexpected) this.log.warn({ err: error, command: frame?.command }, 'closing connection after an unexpected error');
    else this.log.debug({ message: headers[0]![1], command: frame?.command }, 'closing connection with ERROR');
    // No content-length, as ActiveMQ: stompit, for one, mishandles a text/plain ERROR that has one.
    this.write('ERROR', headers, Buffer.from(body, 'utf8'));
    this.close('failed');
  }

  private close(event: 'disconnected' | 'failed'): void {
    this.transition(event);
    this.teardown();
    this.outbox.close();
    this.transport.end();
    // A client that does not read must not keep the socket forever.
    this.closeTimer = setTimeout(() => this.guard(() => this.transport.destroy()), this.config.closeTimeoutMs);
    this.closeTimer.unref();
  }

  private onTransportClosed(error?: Error): void {
    if (this.state === 'closed') return;
    this.transition('transport-closed');
    this.teardown();
    this.outbox.close();
    clearTimeout(this.closeTimer);
    this.log.debug({ err: error?.message }, 'connection closed');
    this.resolveClosed();
  }

  /** Stops timers and closes the core session: open transactions roll back, unacked messages return. */
  private teardown(): void {
    clearTimeout(this.connectTimer);
    this.heartbeat?.stop();
    this.heartbeat = undefined;
    this.inbox = [];
    this.inboxHead = 0;
    this.inboxBytes = 0;
    this.updateFlow();
    const session = this.coreSession;
    this.coreSession = undefined;
    if (session !== undefined) {
      session.close().catch((err: unknown) => this.log.warn({ err }, 'closing the core session failed'));
    }
  }

  /**
   * Pauses reading while too many operations or decoded frames wait, or for the rest of the turn
   * once the connection has read its share; resumes when they drain, or at the next turn.
   */
  private updateFlow(): void {
    const pause =
      this.active &&
      (this.shareUsed ||
        this.pendingOperations >= this.config.maxPendingSends ||
        this.inboxLength > INBOX_LIMIT_FRAMES ||
        this.inboxBytes > INBOX_LIMIT_BYTES);
    if (pause === this.paused) return;
    this.paused = pause;
    if (pause) this.transport.pause();
    else this.transport.resume();
  }

  private write(command: string, headers: HeaderList, body?: Uint8Array, withContentLength = false): void {
    const version = command === 'CONNECTED' ? undefined : this.negotiated;
    const frame = this.outbox.beginFrame(command, version);
    for (const [name, value] of headers) frame.header(name, value);
    this.outbox.endFrame(body, withContentLength);
  }

  /** Nothing thrown while handling transport or core callbacks may escape into them. */
  private guard(action: () => void): void {
    try {
      action();
    } catch (e) {
      this.unexpected(e);
    }
  }

  private unexpected(e: unknown): void {
    this.log.error({ err: e }, 'unexpected failure in the STOMP connection');
    try {
      this.fail(e);
    } catch {
      try {
        this.transport.destroy();
      } catch {
        // Nothing is left to do for this connection.
      }
    }
  }
}
