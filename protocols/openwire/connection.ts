import type { Logger } from 'pino';
import type {
  BrokerError, ConsumerId as CoreConsumerId, CoreSession, Delivery, DeliverySink, TransportConnection,
} from '../../src/spi/index.js';
import type { BrokerContext, ConnectionHandle } from './broker-context.js';
import { CodecError } from './codec/codec-error.js';
import type {
  BaseCommand, BrokerInfo, Command, ConnectionInfo, DataStructure, DestinationInfo, MessageDispatch, ProducerInfo, WireFormatInfo,
} from './codec/commands.js';
import { FrameSplitter } from './codec/frame-splitter.js';
import { LOOSE_V12, OpenWireFormat } from './codec/open-wire-format.js';
import { structName } from './codec/schema.js';
import { isMessageType, T } from './codec/type-codes.js';
import { buildWireFormatInfo, negotiate } from './codec/wire-format-info.js';
import { CommandQueue } from './command-queue.js';
import type { ConsumerState } from './consumer-state.js';
import { deliveryDispatch, patchedDispatchFrame } from './dispatch.js';
import { toWireThrowable } from './errors.js';
import { HANDLERS, RESPONDED, type InboundFrame } from './handlers/index.js';
import { LastIdKey } from './ids.js';
import { InactivityMonitor } from './inactivity-monitor.js';
import { advisoryMessage, type AdvisoryWatcher } from './temp-destinations.js';
import type { TransactionState } from './transaction-state.js';

/**
 * Connection lifecycle: `negotiating` until the client's WireFormatInfo, `open` until a
 * ConnectionInfo is accepted (and again after RemoveInfo of the connection), `connected`, then
 * `closed` whatever the cause.
 */
export type ConnectionState = 'negotiating' | 'open' | 'connected' | 'closed';
export type ConnectionEvent = 'negotiated' | 'connected' | 'disconnected' | 'closed';

export function nextState(state: ConnectionState, event: ConnectionEvent): ConnectionState {
  switch (event) {
    case 'negotiated':
      if (state === 'negotiating') return 'open';
      break;
    case 'connected':
      if (state === 'open') return 'connected';
      break;
    case 'disconnected':
      if (state === 'connected') return 'open';
      break;
    case 'closed':
      return 'closed';
    default: {
      const never: never = event;
      throw new Error(`unknown event ${String(never)}`);
    }
  }
  throw new Error(`invalid transition ${state} --${event}-->`);
}

/** Every WireFormatInfo is loose whatever gets negotiated. */
const PRE_NEGOTIATION = new OpenWireFormat(LOOSE_V12);

/** A JMS session: the consumers and producers created in it. */
export interface SessionEntry {
  readonly consumers: Set<string>;
  readonly producers: Set<string>;
}

/**
 * One OpenWire client connection: framing and negotiation, the ordered processing of its
 * commands (handlers/), its JMS sessions, producers, consumers and transactions over one core
 * session, and the core's deliveries turned into MessageDispatch frames.
 */
export class OpenWireConnection implements DeliverySink, ConnectionHandle {
  state: ConnectionState = 'negotiating';
  readonly logger: Logger;
  /** Unique within the broker: owner of this connection's temp destinations. */
  readonly number: number;
  private readonly splitter: FrameSplitter;
  private format: OpenWireFormat | undefined;
  private readonly monitor: InactivityMonitor;
  private readonly queue: CommandQueue;
  private connectTimer: NodeJS.Timeout | undefined;
  private pendingSends = 0;
  private paused = false;
  private writable = true;
  private closing: Promise<void> | undefined;
  /** Frames from the client are loose, uncached v12: their bytes are the canonical (native) encoding. */
  canonicalInput = false;

  session: CoreSession | undefined;
  connectionInfo: ConnectionInfo | undefined;
  readonly sessions = new Map<string, SessionEntry>();
  readonly producers = new Map<string, ProducerInfo>();
  readonly consumers = new Map<string, ConsumerState>();
  readonly consumersByCore = new Map<CoreConsumerId, ConsumerState>();
  readonly advisoryWatchers = new Map<string, AdvisoryWatcher>();
  readonly transactions = new Map<string, TransactionState>();
  readonly producerKeys = new LastIdKey();
  readonly consumerKeys = new LastIdKey();
  /** Deliveries that arrived while their consumer's subscribe() had not yet returned its id. */
  private readonly unclaimed = new Map<CoreConsumerId, Delivery[]>();

  constructor(
    readonly transport: TransportConnection,
    readonly broker: BrokerContext,
    private readonly onClosed: (c: OpenWireConnection) => void,
  ) {
    this.number = broker.nextConnectionNumber();
    this.logger = broker.logger.child({ connection: this.number, remote: transport.remoteAddress });
    this.splitter = new FrameSplitter(broker.config.maxFrameBytes);
    this.monitor = new InactivityMonitor(
      () => this.send({ typeCode: T.KEEP_ALIVE_INFO, commandId: 0, responseRequired: false } as Command),
      (silentMs) => this.abort(`no data for ${silentMs} ms (inactivity)`),
    );
    this.queue = new CommandQueue((e) => this.logger.error({ err: e }, 'command processing failed'));
    transport.onData((chunk) => this.onData(chunk));
    transport.onDrain(() => this.onDrain());
    transport.onClose((error) => {
      if (error) this.logger.debug({ err: error }, 'transport error');
      void this.cleanup();
    });
    // The broker speaks first: a client writes nothing until it has our WireFormatInfo.
    this.send(buildWireFormatInfo(broker.wireSettings));
    this.connectTimer = setTimeout(() => this.abort('no WireFormatInfo in time'), broker.config.connectTimeoutMs);
    this.connectTimer.unref();
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  get connectionKey(): string {
    return this.connectionInfo?.connectionId?.value ?? '';
  }

  transition(event: ConnectionEvent): void {
    this.state = nextState(this.state, event);
  }

  // ---------------------------------------------------------------- input

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.monitor.read();
    try {
      for (const frame of this.splitter.push(chunk)) {
        if (this.isClosed) return;
        this.onFrame(frame);
      }
    } catch (e) {
      if (!(e instanceof CodecError)) this.logger.error({ err: e }, 'unexpected error decoding a frame');
      this.abort(`protocol error: ${(e as Error).message}`);
    }
  }

  private onFrame(frame: Buffer): void {
    if (this.state === 'negotiating') {
      this.negotiate(frame);
      return;
    }
    // A loose v12 message's own bytes become its native form: copied out of the receive buffer
    // (decoded byte fields are views), with where its fields end noted.
    let command: Command;
    let fieldEnds: Record<string, number> | undefined;
    if (this.canonicalInput && isMessageType(frame[0]!)) {
      frame = Buffer.from(frame);
      const decoded = this.format!.decodeWithEnds(frame);
      command = decoded.command as Command;
      fieldEnds = decoded.fieldEnds;
    } else {
      command = this.format!.decode(frame) as Command;
    }
    switch (command.typeCode) {
      case T.KEEP_ALIVE_INFO:
        // Answered at once, not queued behind slow commands: an echo, never a Response.
        if (command.responseRequired) this.send({ typeCode: T.KEEP_ALIVE_INFO, commandId: 0, responseRequired: false } as Command);
        return;
      case T.RESPONSE:
        // The failover transport may write its own bookkeeping Responses: ignore them.
        return;
      case T.WIREFORMAT_INFO:
        throw new CodecError('a second WireFormatInfo');
    }
    const inbound: InboundFrame = { bytes: frame, fieldEnds };
    this.queue.push(() => this.process(command, inbound));
    this.checkBackpressure();
  }

  private negotiate(frame: Buffer): void {
    const info = PRE_NEGOTIATION.decode(frame) as WireFormatInfo;
    if (info.typeCode !== T.WIREFORMAT_INFO) throw new CodecError(`expected WireFormatInfo, got ${structName(info.typeCode)}`);
    const n = negotiate(this.broker.wireSettings, info);
    this.format = new OpenWireFormat(n.format);
    this.canonicalInput = n.format.version === 12 && !n.format.tightEncoding && !n.format.cacheEnabled;
    clearTimeout(this.connectTimer);
    this.transition('negotiated');
    this.logger.debug({ format: n.format, maxInactivityMs: n.maxInactivityDurationMs }, 'wire format negotiated');
    const brokerInfo: BrokerInfo = {
      typeCode: T.BROKER_INFO, commandId: 0, responseRequired: false, brokerId: this.broker.brokerId,
      brokerURL: this.broker.brokerUrl, peerBrokerInfos: null, brokerName: this.broker.core.brokerName, slaveBroker: false,
      masterBroker: false, faultTolerantConfiguration: false, duplexConnection: false, networkConnection: false,
      connectionId: this.number, brokerUploadUrl: null, networkProperties: null,
    };
    this.send(brokerInfo);
    this.monitor.start(n.maxInactivityDurationMs, n.maxInactivityInitialDelayMs);
  }

  /** Runs one command's handler and answers it: Response, ExceptionResponse, or ConnectionError for a oneway. */
  private process(command: Command, frame: InboundFrame): void | Promise<void> {
    if (this.state === 'closed') return;
    const handler = HANDLERS[command.typeCode];
    if (!handler) {
      this.logger.debug({ type: structName(command.typeCode) }, 'ignoring an unsupported command');
      if ((command as BaseCommand).responseRequired) this.fail(command as BaseCommand, new Error(`${structName(command.typeCode)} is not supported`));
      return;
    }
    let result: ReturnType<typeof handler>;
    try {
      result = handler(this, command, frame);
    } catch (e) {
      this.fail(command as BaseCommand, e);
      return;
    }
    if (result === RESPONDED) return;
    if (result instanceof Promise) {
      return result.then(() => this.respond(command as BaseCommand), (e: unknown) => this.fail(command as BaseCommand, e));
    }
    this.respond(command as BaseCommand);
  }

  private checkBackpressure(): void {
    const load = this.queue.length + this.pendingSends;
    const max = this.broker.config.maxPendingCommands;
    if (!this.paused && load >= max) {
      this.paused = true;
      this.transport.pause();
    } else if (this.paused && load < max / 2) {
      this.paused = false;
      this.transport.resume();
    }
  }

  // ---------------------------------------------------------------- output

  send(command: DataStructure): void {
    if (this.state === 'closed') return;
    let frame: Buffer;
    try {
      frame = (this.format ?? PRE_NEGOTIATION).encode(command);
    } catch (e) {
      this.logger.error({ err: e, type: structName(command.typeCode) }, 'cannot encode a frame');
      return;
    }
    this.write(frame);
  }

  private write(frame: Buffer): void {
    if (this.state === 'closed') return;
    this.monitor.wrote();
    if (!this.transport.write(frame) && this.writable) {
      this.writable = false;
      this.session?.setWritable(false);
    }
  }

  private onDrain(): void {
    if (this.writable) return;
    this.writable = true;
    this.session?.setWritable(true);
  }

  respond(command: BaseCommand): void {
    if (!command.responseRequired) return;
    this.send({ typeCode: T.RESPONSE, commandId: 0, responseRequired: false, correlationId: command.commandId } as Command);
  }

  /** ExceptionResponse for a request, ConnectionError for a oneway (the application's ExceptionListener). */
  fail(command: BaseCommand, e: unknown): void {
    const exception = toWireThrowable(e);
    if (exception.message && exception.message.length > 4096) exception.message = exception.message.slice(0, 4096);
    this.logger.debug({ type: structName(command.typeCode), error: exception.className, message: exception.message }, 'command failed');
    if (command.responseRequired) {
      this.send({ typeCode: T.EXCEPTION_RESPONSE, commandId: 0, responseRequired: false, correlationId: command.commandId, exception } as Command);
    } else {
      this.send({
        typeCode: T.CONNECTION_ERROR, commandId: 0, responseRequired: false, exception,
        connectionId: this.connectionInfo?.connectionId ?? null,
      } as Command);
    }
  }

  /**
   * Answers a command once `work` settles, without holding back the commands after it (sends
   * wait for the store; the next command need not). Counts towards the connection's backpressure.
   */
  respondWhen(command: BaseCommand, work: Promise<void>, onSuccess?: () => void, onFailure?: (e: unknown) => void): typeof RESPONDED {
    this.pendingSends++;
    this.checkBackpressure();
    // Keeps only what the answer needs, not the whole command, while the store works.
    const { typeCode, commandId, responseRequired } = command;
    command = { typeCode, commandId, responseRequired };
    work.then(
      () => {
        this.settled();
        onSuccess?.();
        this.respond(command);
      },
      (e: unknown) => {
        this.settled();
        onFailure?.(e);
        this.fail(command, e);
      },
    );
    return RESPONDED;
  }

  private settled(): void {
    this.pendingSends--;
    this.checkBackpressure();
  }

  // ---------------------------------------------------------------- core → client

  deliver(delivery: Delivery): void {
    const consumer = this.consumersByCore.get(delivery.consumerId);
    if (!consumer) {
      const list = this.unclaimed.get(delivery.consumerId);
      if (list) list.push(delivery);
      else this.unclaimed.set(delivery.consumerId, [delivery]);
      return;
    }
    this.dispatch(consumer, delivery);
  }

  /** Binds a new core consumer to its JMS consumer and dispatches what arrived for it meanwhile. */
  claim(coreId: CoreConsumerId, consumer: ConsumerState): void {
    this.consumersByCore.set(coreId, consumer);
    const early = this.unclaimed.get(coreId);
    this.unclaimed.delete(coreId);
    for (const d of early ?? []) this.dispatch(consumer, d);
  }

  /** A core consumer is going: forget what arrived for it unclaimed (the core takes it back). */
  release(coreId: CoreConsumerId): void {
    this.consumersByCore.delete(coreId);
    this.unclaimed.delete(coreId);
  }

  private dispatch(consumer: ConsumerState, delivery: Delivery): void {
    const seq = this.broker.nextSequence();
    consumer.dispatched(seq, delivery.consumerId, delivery.id);
    if (this.canonicalInput) {
      // Same encoding both ways: send the producer's bytes patched rather than re-encoded.
      consumer.dispatchPrefix ??= this.dispatchPrefix(consumer);
      const frame = patchedDispatchFrame(this.broker, consumer.dispatchPrefix, delivery, seq);
      if (frame) {
        this.write(frame);
        return;
      }
    }
    this.send(deliveryDispatch(this.broker, consumer.info, delivery, seq));
  }

  /** A consumer's MessageDispatch up to the message: type, header, consumerId, destination. */
  private dispatchPrefix(consumer: ConsumerState): Buffer {
    const empty: MessageDispatch = {
      typeCode: T.MESSAGE_DISPATCH, commandId: 0, responseRequired: false, consumerId: consumer.info.consumerId,
      destination: consumer.info.destination, message: null, redeliveryCounter: 0,
    };
    const frame = this.format!.encode(empty);
    // Drop the size, the null message's present flag and the trailing redeliveryCounter.
    return Buffer.from(frame.subarray(4, frame.length - 5));
  }

  /** An advisory for one of this connection's advisory consumers. */
  advise(consumer: ConsumerState, info: DestinationInfo, topic: string): void {
    const seq = this.broker.nextSequence();
    this.send({
      typeCode: T.MESSAGE_DISPATCH, commandId: 0, responseRequired: false, consumerId: consumer.info.consumerId,
      destination: { typeCode: T.ACTIVEMQ_TOPIC, physicalName: topic },
      message: advisoryMessage(info, topic, this.broker.advisoryOrigin, seq), redeliveryCounter: 0,
    } as Command);
  }

  consumerClosed(coreId: CoreConsumerId, reason: BrokerError): void {
    const consumer = this.consumersByCore.get(coreId);
    if (!consumer) return;
    this.logger.debug({ consumer: consumer.key, reason: reason.code }, 'the core closed a consumer');
    this.consumersByCore.delete(coreId);
    // Tell the client to close it (ActiveMQ does this when a consumer's temp destination goes).
    this.send({
      typeCode: T.CONSUMER_CONTROL, commandId: 0, responseRequired: false, destination: null, close: true,
      consumerId: consumer.info.consumerId, prefetch: 0, flush: false, start: false, stop: false,
    } as Command);
  }

  sessionClosed(reason: BrokerError): void {
    this.logger.debug({ reason: reason.code }, 'the core closed the session');
    this.session = undefined;
    this.send({
      typeCode: T.CONNECTION_ERROR, commandId: 0, responseRequired: false, exception: toWireThrowable(reason),
      connectionId: this.connectionInfo?.connectionId ?? null,
    } as Command);
    this.transport.end();
    void this.cleanup();
  }

  // ---------------------------------------------------------------- closing

  /** Drops the connection at once (protocol error, inactivity, stale connection). */
  abort(reason: string): void {
    if (this.state === 'closed') return;
    this.logger.debug({ reason }, 'closing connection');
    this.transport.destroy();
    void this.cleanup();
  }

  /** Closes after flushing what is written (client ShutdownInfo, broker shutdown). */
  end(): Promise<void> {
    this.transport.end();
    return this.cleanup();
  }

  terminate(reason: string): Promise<void> {
    this.abort(reason);
    return this.cleanup();
  }

  /**
   * Forgets the connection's logical state: its JMS connection (temp destinations, advisory
   * consumers, the core session whose close returns unacknowledged messages and rolls back open
   * transactions). The transport stays open (RemoveInfo of the connection).
   */
  async disconnect(): Promise<void> {
    for (const c of this.consumers.values()) {
      c.closed = true;
      c.stopPull();
    }
    this.consumers.clear();
    this.consumersByCore.clear();
    this.unclaimed.clear();
    for (const w of this.advisoryWatchers.values()) this.broker.temps.unwatch(w);
    this.advisoryWatchers.clear();
    this.sessions.clear();
    this.producers.clear();
    this.transactions.clear();
    for (const name of this.broker.temps.ownedBy(String(this.number))) this.broker.temps.remove(name);
    const key = this.connectionKey;
    if (key && this.broker.byConnectionId.get(key) === this) this.broker.byConnectionId.delete(key);
    const session = this.session;
    this.session = undefined;
    this.connectionInfo = undefined;
    if (session) await session.close();
  }

  private cleanup(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        this.transition('closed');
        clearTimeout(this.connectTimer);
        this.monitor.stop();
        this.queue.clear();
        try {
          await this.disconnect();
        } catch (e) {
          this.logger.warn({ err: e }, 'error while closing the core session');
        }
        this.onClosed(this);
      })();
    }
    return this.closing;
  }
}
