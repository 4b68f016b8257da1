import type { Logger } from 'pino';
import {
  isBrokerError,
  type AdapterState, type BrokerError, type ConsumerId, type Core, type CoreSession, type Delivery, type DeliverySink,
  type Principal, type TransportConnection,
} from '../../src/spi/index.js';
import type { AmqpConfig } from './config.js';
import { EngineSocket } from './engine-socket.js';
import { AmqpProtocolError, amqpErrorOf, CONDITION, isUnexpected, type AmqpError } from './errors.js';
import { FrameGuard, UnsupportedHeader, type GuardEvent } from './frame-guard.js';
import { InboundFrames } from './inbound-frames.js';
import type { ConsumerLink, LinkContext, LinkHandler, TransferFacts } from './handlers/context.js';
import { CoordinatorLink } from './handlers/coordinator-link.js';
import { MESSAGE_OVERHEAD_BYTES, ReceiverLink } from './handlers/receiver-link.js';
import { saslMechanisms } from './handlers/sasl.js';
import { BrowseLink, isBrowseAttach } from './handlers/browse-link.js';
import { SenderLink } from './handlers/sender-link.js';
import { capabilityList } from './handlers/terminus.js';
import { Transactions } from './handlers/transactions.js';
import {
  createEngineConnection, installFrameHooks,
  type EngineConnection, type EngineContext, type EngineDelivery, type EngineLink, type EngineReceiver, type EngineSender,
  type EngineSession,
} from './rhea-engine.js';
import { closeFrame, openFrame, PROTOCOL_ID, protocolHeader } from './wire.js';

/**
 * Connection lifecycle:
 *   handshake ──opened (core session open)──▶ open
 *   handshake | open ──closing (either side closes, or a failure)──▶ closing
 *   any ──transport-closed──▶ closed
 * Input reaches rhea in `handshake` and `open` only.
 */
export type ConnectionState = 'handshake' | 'open' | 'closing' | 'closed';
export type ConnectionEvent = 'opened' | 'closing' | 'transport-closed';

export function nextState(state: ConnectionState, event: ConnectionEvent): ConnectionState {
  if (event === 'transport-closed') return 'closed';
  switch (state) {
    case 'handshake':
      return event === 'opened' ? 'open' : 'closing';
    case 'open':
      if (event === 'opened') throw new Error('connection opened twice');
      return 'closing';
    case 'closing':
    case 'closed':
      return state;
    default: {
      const unreachable: never = state;
      return unreachable;
    }
  }
}

export interface ConnectionDeps {
  core: Core;
  config: AmqpConfig;
  log: Logger;
  /** Our container-id in the open frame. */
  containerId: string;
  version: string;
}

/** Offered in our open: Qpid JMS uses an anonymous producer only when the relay is offered. */
const OFFERED_CAPABILITIES = ['ANONYMOUS-RELAY', 'sole-connection-for-container'];
const SOLE_CONNECTION = 'sole-connection-for-container';
/** Until the peer's open is through, frames are small (the spec says 512; we allow more). */
const PRE_OPEN_MAX_FRAME_BYTES = 64 * 1024;
/** Bytes a peer may pipeline while we wait for authentication. */
const MAX_HELD_BYTES = 1024 * 1024;
/** Deliveries pause when a session's outgoing buffer has less room than this. */
const ENGINE_LOW_WATER = 256;

/**
 * One AMQP 1.0 connection: the frame guard in front, a rhea connection as the engine, link
 * handlers per link, and the core session behind (this is its DeliverySink).
 */
export class AmqpConnection implements DeliverySink, LinkContext {
  readonly config: AmqpConfig;
  readonly log: Logger;
  readonly state: AdapterState;
  readonly transactions: Transactions;
  /** Resolves once the transport is closed and the core session released. */
  readonly closed: Promise<void>;

  private lifecycle: ConnectionState = 'handshake';
  private readonly socket: EngineSocket;
  private readonly guard: FrameGuard;
  private readonly engine: EngineConnection;
  private coreSession: CoreSession | undefined;
  private coreSessionReleased = false;
  private principal: Principal | undefined;
  private containerClientId: string | undefined;
  private layer: 'none' | 'sasl' | 'amqp' = 'none';
  private saslStarted = false;
  private openWritten = false;
  /** Set once we stop listening to the peer (a failure); a graceful close keeps reading. */
  private inputStopped = false;
  private held: Buffer[] | undefined;
  private heldBytes = 0;
  /** The handshake deadline, then the idle-time-out. */
  private watchdog: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private readonly handlers = new Map<EngineLink, LinkHandler>();
  private readonly consumers = new Map<ConsumerId, ConsumerLink>();
  private readonly inbound: InboundFrames;
  private transportBlocked = false;
  private readonly fullSessions = new Set<EngineSession>();
  private roomCheckScheduled = false;
  private resolveClosed!: () => void;

  constructor(private readonly transport: TransportConnection, private readonly deps: ConnectionDeps) {
    this.config = deps.config;
    this.log = deps.log;
    this.state = deps.core.state;
    this.transactions = new Transactions(() => this.session);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.socket = new EngineSocket(transport, () => this.onEngineEnd(), () => this.onBackpressure());
    this.guard = new FrameGuard({
      maxFrameBytes: this.config.maxFrameBytes,
      preOpenMaxFrameBytes: Math.min(this.config.maxFrameBytes, PRE_OPEN_MAX_FRAME_BYTES),
      channelMax: this.config.channelMax,
    });
    this.engine = createEngineConnection({
      containerId: deps.containerId,
      maxFrameBytes: this.config.maxFrameBytes,
      channelMax: this.config.channelMax,
      idleTimeoutMs: this.config.idleTimeoutMs,
      offeredCapabilities: OFFERED_CAPABILITIES,
      properties: { product: 'wharf', version: deps.version, 'queue-prefix': 'queue://', 'topic-prefix': 'topic://' },
      mechanisms: saslMechanisms(deps.core, (p) => this.onSaslResult(p), () => (this.saslStarted = true)),
    }, this.socket, (e) => this.log.debug({ err: e }, 'rhea reported an error'));
    this.inbound = new InboundFrames(this.engine, this.config.maxMessageBytes + MESSAGE_OVERHEAD_BYTES);
    installFrameHooks(this.engine, {
      attach: (f) => this.inbound.attach(f),
      transfer: (f) => this.inbound.transfer(f),
      disposition: (f) => this.inbound.disposition(f),
      openWritten: () => (this.openWritten = true),
    });
    this.listenToEngine();
    transport.onData((chunk) => this.feed(chunk));
    transport.onDrain(() => {
      this.transportBlocked = false;
      this.updateWritable();
    });
    transport.onClose((err) => this.onTransportClosed(err));
    this.watchdog = setTimeout(() => this.fail({ condition: CONDITION.resourceLimitExceeded, description: 'connection not opened in time' }), this.config.connectTimeoutMs);
    this.watchdog.unref();
  }

  get clientId(): string | undefined {
    return this.containerClientId;
  }

  get session(): CoreSession {
    if (!this.coreSession) throw new Error('no core session');
    return this.coreSession;
  }

  // ---- input ----

  /** Whether input is no longer for rhea. */
  private get stopped(): boolean {
    return this.inputStopped || this.lifecycle === 'closed';
  }

  private feed(chunk: Buffer): void {
    if (this.stopped) return;
    if (this.held) {
      this.hold(chunk);
      return;
    }
    if (this.lifecycle !== 'handshake') this.watchdog?.refresh();
    let offset = 0;
    while (offset < chunk.length) {
      let event: GuardEvent | undefined;
      try {
        const result = this.guard.scan(chunk, offset);
        if (result.ready) this.socket.input(result.ready);
        offset += result.consumed;
        event = result.event;
      } catch (e) {
        this.failOnInput(e);
        return;
      }
      if (this.stopped) return;
      if (event) this.onGuardEvent(event);
      if (this.held) {
        if (offset < chunk.length) this.hold(chunk.subarray(offset));
        return;
      }
    }
  }

  private hold(chunk: Buffer): void {
    this.held ??= [];
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes > MAX_HELD_BYTES) this.fail({ condition: CONDITION.resourceLimitExceeded, description: 'too much data before authentication' });
  }

  private release(): void {
    const chunks = this.held ?? [];
    this.held = undefined;
    this.heldBytes = 0;
    this.transport.resume();
    for (const chunk of chunks) this.feed(chunk);
  }

  private startHolding(): void {
    this.held = [];
    this.transport.pause();
  }

  private onGuardEvent(event: GuardEvent): void {
    if (event.kind === 'sasl-frame') {
      // rhea has handled the frame. An unknown mechanism was answered with a failed outcome.
      if (!this.saslStarted) this.finishAfterOutcome();
      else this.startHolding();
      return;
    }
    if (event.protocolId === PROTOCOL_ID.sasl) {
      this.layer = 'sasl';
      return;
    }
    const viaSasl = this.layer === 'sasl';
    this.layer = 'amqp';
    if (viaSasl) return;
    // AMQP without SASL: the peer is anonymous, if anonymous access is allowed.
    this.startHolding();
    this.deps.core.authenticate({}).then(
      (p) => {
        this.principal = p;
        this.release();
      },
      (e: unknown) => this.fail(amqpErrorOf(e)),
    ).catch((e: unknown) => this.internalError(e));
  }

  private onSaslResult(principal: Principal | undefined): void {
    // rhea writes the outcome once our promise has resolved; act after that.
    setImmediate(() => {
      if (this.lifecycle !== 'handshake') return;
      if (!principal) {
        this.finishAfterOutcome();
        return;
      }
      this.principal = principal;
      this.release();
    });
  }

  private finishAfterOutcome(): void {
    this.lifecycle = nextState(this.lifecycle, 'closing');
    this.inputStopped = true;
    setImmediate(() => this.socket.finish());
    this.armCloseTimer();
  }

  // ---- engine events ----

  private listenToEngine(): void {
    const on = (event: string, listener: (c: EngineContext) => void): void => this.engine.on(event, this.guarded(listener));
    on('connection_open', () => this.onRemoteOpen());
    on('connection_close', () => this.onRemoteClose());
    on('connection_error', () => undefined);
    on('protocol_error', (e) => this.failOnInput(e));
    on('error', (e) => this.failOnInput(e));
    on('disconnected', () => undefined);
    on('session_close', (c) => this.onSessionEnd(c.session!));
    on('session_error', () => undefined);
    on('sender_open', (c) => this.onSenderOpen(c.sender!));
    on('receiver_open', (c) => this.onReceiverOpen(c.receiver!));
    on('sender_close', (c) => this.onLinkDetached(c.sender!));
    on('receiver_close', (c) => this.onLinkDetached(c.receiver!));
    on('sender_error', () => undefined);
    on('receiver_error', () => undefined);
  }

  /** Wraps a listener: rhea calls some from timers and ticks, where a throw would end the process. */
  private guarded<T>(listener: (arg: T) => void): (arg: T) => void {
    return (arg) => {
      try {
        listener(arg);
      } catch (e) {
        this.internalError(e);
      }
    };
  }

  listen(link: EngineLink, event: string, listener: (context: EngineContext) => void): void {
    link.on(event, this.guarded(listener));
  }

  private onRemoteOpen(): void {
    if (this.lifecycle !== 'handshake') return;
    if (!this.principal) {
      this.closeGracefully({ condition: CONDITION.unauthorizedAccess, description: 'not authenticated' });
      return;
    }
    const open = this.engine.remote.open ?? {};
    const containerId = open.container_id ?? undefined;
    try {
      this.coreSession = this.openCoreSession(containerId, capabilityList(open.desired_capabilities).includes(SOLE_CONNECTION));
    } catch (e) {
      this.closeGracefully(amqpErrorOf(e));
      return;
    }
    this.lifecycle = nextState(this.lifecycle, 'opened');
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    if (this.config.idleTimeoutMs > 0) {
      // We advertised this idle-time-out: a peer silent for that long is gone (spec 2.4.5).
      this.watchdog = setTimeout(() => this.fail({ condition: CONDITION.resourceLimitExceeded, description: 'idle-time-out exceeded' }), this.config.idleTimeoutMs);
      this.watchdog.unref();
    }
    this.log.debug({ containerId, clientId: this.containerClientId, principal: this.principal.name }, 'connection open');
  }

  /**
   * The container-id is the client id (as ActiveMQ takes it). Two connections may share one
   * (rhea clients in a process do) unless the peer asks to be the sole connection for it.
   */
  private openCoreSession(containerId: string | undefined, sole: boolean): CoreSession {
    const base = { principal: this.principal!, protocol: 'amqp', remoteAddress: this.transport.remoteAddress };
    if (containerId) {
      try {
        const session = this.deps.core.openSession({ ...base, clientId: containerId, clientIdPolicy: 'reject' }, this);
        this.containerClientId = containerId;
        return session;
      } catch (e) {
        if (sole || !isBrokerError(e) || e.code !== 'CLIENT_ID_IN_USE') throw e;
        this.log.debug({ containerId }, 'container-id in use by another connection: opened without a client id');
      }
    }
    return this.deps.core.openSession(base, this);
  }

  private onRemoteClose(): void {
    // rhea answers with close and then ends the socket (onEngineEnd). Dispositions that came
    // in just before the close are handled on rhea's next pass: release the session after it.
    if (this.lifecycle === 'closing' || this.lifecycle === 'closed') return;
    this.lifecycle = nextState(this.lifecycle, 'closing');
    setImmediate(() => this.releaseCoreSession());
    this.armCloseTimer();
  }

  private onSenderOpen(link: EngineSender): void {
    if (!this.acceptsLinks(link)) return;
    if (isBrowseAttach(link.remote.attach?.source)) {
      const browser = new BrowseLink(this, link);
      this.handlers.set(link, browser);
      browser.start().catch((e: unknown) => this.internalError(e));
      return;
    }
    const handler = new SenderLink(this, link);
    this.handlers.set(link, handler);
    handler.open().catch((e: unknown) => this.internalError(e));
  }

  private onReceiverOpen(link: EngineReceiver): void {
    const coordinator = this.inbound.takeCoordinatorAttach();
    if (!this.acceptsLinks(link)) return;
    const handler = coordinator ? new CoordinatorLink(this, link) : new ReceiverLink(this, link);
    this.handlers.set(link, handler);
    handler.open();
  }

  private acceptsLinks(link: EngineLink): boolean {
    if (this.lifecycle === 'open') return true;
    link.close({ condition: CONDITION.illegalState, description: 'the connection is not open' });
    return false;
  }

  private onLinkDetached(link: EngineLink): void {
    this.handlers.get(link)?.detached(link.remote.detach?.closed === true);
  }

  private onSessionEnd(session: EngineSession): void {
    for (const handler of [...this.handlers.values()]) if (handler.link.session === session) handler.detached(false, false);
    this.fullSessions.delete(session);
  }

  // ---- LinkContext ----

  txnOfDelivery(delivery: EngineDelivery): Buffer | undefined {
    return this.inbound.txnOfDelivery(delivery);
  }

  takeTransfer(): TransferFacts {
    return this.inbound.takeTransfer();
  }

  registerConsumer(consumer: ConsumerId, handler: ConsumerLink): void {
    this.consumers.set(consumer, handler);
  }

  unregisterConsumer(consumer: ConsumerId): void {
    this.consumers.delete(consumer);
  }

  linkClosed(handler: LinkHandler): void {
    if (this.handlers.get(handler.link) === handler) this.handlers.delete(handler.link);
  }

  deliveryQueued(session: EngineSession): void {
    if (session.outgoing.deliveries.available() > ENGINE_LOW_WATER || this.fullSessions.has(session)) return;
    this.fullSessions.add(session);
    this.updateWritable();
  }

  deliveriesSettled(): void {
    if (this.fullSessions.size === 0 || this.roomCheckScheduled) return;
    this.roomCheckScheduled = true;
    // rhea frees settled deliveries at the end of its pass.
    setImmediate(() => {
      this.roomCheckScheduled = false;
      for (const s of this.fullSessions) if (s.outgoing.deliveries.available() > 2 * ENGINE_LOW_WATER) this.fullSessions.delete(s);
      this.updateWritable();
    });
  }

  private onBackpressure(): void {
    if (this.transportBlocked) return;
    this.transportBlocked = true;
    this.updateWritable();
  }

  private updateWritable(): void {
    if (this.coreSession && !this.coreSessionReleased) this.coreSession.setWritable(!this.transportBlocked && this.fullSessions.size === 0);
  }

  // ---- DeliverySink ----

  deliver(delivery: Delivery): void {
    const consumer = this.consumers.get(delivery.consumerId);
    if (consumer) {
      consumer.deliver(delivery);
      return;
    }
    this.coreSession?.settle(delivery.consumerId, delivery.id, 'released').catch(() => undefined);
  }

  consumerClosed(consumer: ConsumerId, reason: BrokerError): void {
    const handler = this.consumers.get(consumer);
    this.consumers.delete(consumer);
    handler?.closedByCore(reason);
  }

  sessionClosed(reason: BrokerError): void {
    this.coreSessionReleased = true;
    this.closeGracefully(amqpErrorOf(reason));
  }

  // ---- ends ----

  /** Broker shutdown: closes with amqp:connection:forced and waits for the transport to go. */
  shutdown(): Promise<void> {
    this.closeGracefully({ condition: CONDITION.connectionForced, description: 'the broker is shutting down' });
    return this.closed;
  }

  /** Closes through rhea (open first if needed), waiting for the peer's close up to closeTimeoutMs. */
  private closeGracefully(error: AmqpError): void {
    if (this.lifecycle === 'closing' || this.lifecycle === 'closed') return;
    if (this.lifecycle === 'handshake' && !this.guard.openSeen) {
      this.fail(error);
      return;
    }
    this.lifecycle = nextState(this.lifecycle, 'closing');
    this.log.debug({ error }, 'closing the connection');
    this.engine.open();
    this.engine.close(error);
    this.releaseCoreSession();
    this.armCloseTimer();
  }

  /** rhea failed on input, or the guard refused it: close with the right condition, now. */
  private failOnInput(e: unknown): void {
    if (e instanceof UnsupportedHeader) {
      this.log.debug({ err: e }, 'unsupported protocol header');
      this.fail({ condition: CONDITION.notImplemented, description: e.message }, e.answerProtocolId);
      return;
    }
    const error: AmqpError = e instanceof AmqpProtocolError
      ? e.toAmqpError()
      : { condition: CONDITION.decodeError, description: `cannot process the frame: ${e instanceof Error ? e.message : String(e)}`.slice(0, 256) };
    this.log.debug({ error }, 'protocol error');
    this.fail(error);
  }

  private internalError(e: unknown): void {
    if (isUnexpected(e)) this.log.warn({ err: e }, 'AMQP connection failed');
    this.fail(amqpErrorOf(e));
  }

  /**
   * Ends the connection at once with our own frames (rhea's state may not be trusted): the
   * protocol header for an unsupported one, else in the AMQP layer an open (if ours is not out
   * yet) and a close with the error. In the SASL layer there is nothing to say.
   */
  private fail(error: AmqpError, answerProtocolId?: number): void {
    if (this.inputStopped || this.lifecycle === 'closed') return;
    this.lifecycle = nextState(this.lifecycle, 'closing');
    this.inputStopped = true;
    this.socket.seal();
    if (answerProtocolId !== undefined) {
      this.socket.writeOwn(protocolHeader(answerProtocolId));
    } else if (this.layer === 'amqp') {
      if (!this.openWritten) this.socket.writeOwn(openFrame(this.deps.containerId));
      this.socket.writeOwn(closeFrame(error));
    }
    this.socket.finish();
    this.releaseCoreSession();
    this.armCloseTimer();
  }

  /** rhea is done with the socket (after the close exchange, or a SASL failure). */
  private onEngineEnd(): void {
    if (this.lifecycle !== 'closed') this.lifecycle = nextState(this.lifecycle, 'closing');
    this.inputStopped = true;
    this.socket.seal();
    this.socket.finish();
    setImmediate(() => this.releaseCoreSession());
    this.armCloseTimer();
  }

  private armCloseTimer(): void {
    if (this.closeTimer || this.lifecycle === 'closed') return;
    this.closeTimer = setTimeout(() => this.transport.destroy(), this.config.closeTimeoutMs);
    this.closeTimer.unref();
  }

  private releaseCoreSession(): void {
    for (const handler of this.handlers.values()) handler.dispose();
    this.handlers.clear();
    this.consumers.clear();
    if (!this.coreSession || this.coreSessionReleased) return;
    this.coreSessionReleased = true;
    this.coreSession.close().catch((e: unknown) => this.log.warn({ err: e }, 'closing the core session failed'));
  }

  private onTransportClosed(err?: Error): void {
    if (this.lifecycle === 'closed') return;
    this.lifecycle = nextState(this.lifecycle, 'transport-closed');
    clearTimeout(this.watchdog);
    clearTimeout(this.closeTimer);
    this.held = undefined;
    this.socket.seal();
    this.socket.eof();
    this.releaseCoreSession();
    if (err) this.log.debug({ err }, 'transport closed with an error');
    this.resolveClosed();
  }
}
