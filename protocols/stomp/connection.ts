import type { Logger } from 'pino';
import type {
  BrokerError,
  ConsumerId,
  Core,
  CoreSession,
  Delivery,
  DeliverySink,
  TransportConnection,
  TxId,
} from '../../src/spi/index.js';
import { FrameDecodeError, FrameDecoder } from './codec/frame-decoder.js';
import { encodeFrame, HEARTBEAT } from './codec/frame-encoder.js';
import type { HeaderList, InboundFrame, RawFrame, StompVersion } from './codec/frame.js';
import { unescapeFrame } from './codec/header-escaping.js';
import type { StompConfig } from './config.js';
import { errorFrameFor, ProtocolError } from './errors.js';
import type { StompContext } from './handlers/context.js';
import { dispatch, isConnectFrame } from './handlers/index.js';
import { HeartbeatMonitor, type HeartbeatPlan } from './heartbeat.js';
import { DestinationMap, messageFrameBody, messageFrameHeaders } from './mapping.js';
import { Outbox } from './outbox.js';
import { SubscriptionRegistry } from './subscriptions.js';

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
  private inbox: Array<RawFrame | FrameDecodeError> = [];
  private inboxBytes = 0;
  private pumping = false;
  private paused = false;
  private lastRead = Date.now();
  private readonly inflight = new Set<Promise<void>>();
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
        beat: () => this.guard(() => this.outbox.write(Buffer.from(HEARTBEAT))),
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
    const done = started
      .then(
        () => this.guard(() => this.receipt(frame)),
        (e: unknown) => this.guard(() => this.fail(e, frame)),
      )
      .finally(() => {
        this.inflight.delete(done);
        this.guard(() => this.updateFlow());
      });
    this.inflight.add(done);
    this.updateFlow();
  }

  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
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
    this.guard(() => {
      const pending = sub.ackMode === 'auto' ? undefined : this.subscriptions.track(sub, delivery.id, delivery.message.messageId);
      const headers = messageFrameHeaders(
        delivery.message,
        {
          subscriptionId: sub.id,
          redelivered: delivery.redelivered,
          ...(pending !== undefined && this.negotiated === '1.2' ? { ackId: pending.ackId } : {}),
        },
        this.destinations,
      );
      const { body, withContentLength } = messageFrameBody(delivery.message);
      this.outbox.write(encodeFrame('MESSAGE', headers, body, this.negotiated, withContentLength));
    });
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
    const { frames, error } = this.decoder.push(chunk);
    for (const frame of frames) {
      this.inbox.push(frame);
      this.inboxBytes += frame.body.length;
    }
    if (error !== undefined) this.inbox.push(error);
    this.updateFlow();
    this.pump().catch((e: unknown) => this.guard(() => this.fail(e)));
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.inbox.length > 0 && this.active) {
        const item = this.inbox.shift()!;
        if (item instanceof FrameDecodeError) {
          this.fail(item);
          break;
        }
        this.inboxBytes -= item.body.length;
        await this.handle(item);
      }
    } finally {
      this.pumping = false;
      this.updateFlow();
    }
  }

  private async handle(raw: RawFrame): Promise<void> {
    let frame: InboundFrame | undefined;
    try {
      // CONNECT is never escaped; ActiveMQ reads it, like any 1.0 frame, with values trimmed.
      frame = unescapeFrame(raw, isConnectFrame(raw) ? '1.0' : this.negotiated);
      if (this.log.isLevelEnabled('debug')) {
        this.log.debug({ command: frame.command, receipt: frame.headers.get('receipt'), bodyBytes: frame.body.length }, 'frame');
      }
      await dispatch(frame, this, this.state === 'connected' ? 'connected' : 'awaiting-connect');
    } catch (e) {
      this.fail(e, frame);
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
    this.inboxBytes = 0;
    this.updateFlow();
    const session = this.coreSession;
    this.coreSession = undefined;
    if (session !== undefined) {
      session.close().catch((err: unknown) => this.log.warn({ err }, 'closing the core session failed'));
    }
  }

  /** Pauses reading while too many operations or decoded frames wait; resumes when they drain. */
  private updateFlow(): void {
    const pause =
      this.active &&
      (this.inflight.size >= this.config.maxPendingSends || this.inbox.length > INBOX_LIMIT_FRAMES || this.inboxBytes > INBOX_LIMIT_BYTES);
    if (pause === this.paused) return;
    this.paused = pause;
    if (pause) this.transport.pause();
    else this.transport.resume();
  }

  private write(command: string, headers: HeaderList, body?: Uint8Array, withContentLength = false): void {
    const version = command === 'CONNECTED' ? undefined : this.negotiated;
    this.outbox.write(encodeFrame(command, headers, body, version, withContentLength));
  }

  /** Nothing thrown while handling transport or core callbacks may escape into them. */
  private guard(action: () => void): void {
    try {
      action();
    } catch (e) {
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
}
