import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Core } from '../../src/spi/index.js';
import type { BrokerId, Message, ProducerId } from './codec/commands.js';
import { LOOSE_V12, OpenWireFormat } from './codec/open-wire-format.js';
import { T } from './codec/type-codes.js';
import type { WireFormatSettings } from './codec/wire-format-info.js';
import type { OpenWireConfig } from './config.js';
import { ProducerAudit } from './producer-audit.js';
import { TempDestinations, type AdvisoryOrigin } from './temp-destinations.js';

/** A connection as the rest of the adapter sees it (for stale-connection takeover and shutdown). */
export interface ConnectionHandle {
  /** Drops the connection (its core session closes); resolves once its state is gone. */
  terminate(reason: string): Promise<void>;
}

/**
 * What every OpenWire connection of one broker shares: the broker's identity, the rising
 * dispatch sequence, temporary destinations and their advisories, the producer audit, the
 * registry of logical connections by ActiveMQ connection id.
 */
export class BrokerContext {
  readonly temps = new TempDestinations();
  readonly audit: ProducerAudit;
  readonly byConnectionId = new Map<string, ConnectionHandle>();
  /** Loose, uncached v12: the encoding kept as CoreMessage.native. */
  readonly canonical = new OpenWireFormat(LOOSE_V12);
  readonly brokerId: BrokerId;
  readonly brokerUrl: string;
  readonly wireSettings: WireFormatSettings;
  /** Producer id of messages the broker makes: advisories, and messages from other protocols. */
  readonly brokerProducerId: ProducerId;
  readonly advisoryOrigin: AdvisoryOrigin;
  private sequence = 0;
  private connectionCounter = 0;

  constructor(
    readonly core: Core,
    readonly config: OpenWireConfig,
    readonly logger: Logger,
  ) {
    const id = `ID:${hostname()}-${process.pid}-${Date.now()}-0:1`;
    this.brokerId = { typeCode: T.BROKER_ID, value: id };
    this.brokerUrl = `tcp://${hostname()}:61616`;
    this.audit = new ProducerAudit(config.producerAuditSize);
    this.brokerProducerId = { typeCode: T.PRODUCER_ID, connectionId: id, value: 0, sessionId: 0 };
    this.advisoryOrigin = { producerId: this.brokerProducerId, brokerName: core.brokerName, brokerId: id, brokerUrl: this.brokerUrl };
    this.wireSettings = {
      version: config.version,
      tightEncodingEnabled: config.tightEncodingEnabled,
      cacheEnabled: config.cacheEnabled,
      cacheSize: config.cacheSize,
      stackTraceEnabled: config.stackTraceEnabled,
      tcpNoDelayEnabled: true,
      maxInactivityDurationMs: config.maxInactivityDurationMs,
      maxInactivityInitialDelayMs: config.maxInactivityInitialDelayMs,
      maxFrameBytes: config.maxFrameBytes,
      providerName: 'Wharf',
      providerVersion: config.providerVersion,
      platformDetails: `Node.js ${process.version}`,
    };
  }

  /** The broker sequence of the next dispatch: rising across the broker, as ActiveMQ's is. */
  nextSequence(): number {
    return ++this.sequence;
  }

  nextConnectionNumber(): number {
    return ++this.connectionCounter;
  }

  /** Decodes native bytes (loose, uncached v12), noting where each field ends. */
  decodeNative(data: Uint8Array): { message: Message; fieldEnds: Record<string, number> } {
    const { command, fieldEnds } = this.canonical.decodeWithEnds(Buffer.from(data.buffer, data.byteOffset, data.length));
    return { message: command as Message, fieldEnds };
  }
}
