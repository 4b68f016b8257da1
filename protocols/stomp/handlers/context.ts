import type { Logger } from 'pino';
import type { BrowsedMessage, Core, CoreSession, DeliverySink, TxId } from '../../../src/spi/index.js';
import type { HeaderList, InboundFrame, StompVersion } from '../codec/frame.js';
import type { StompConfig } from '../config.js';
import type { HeartbeatPlan } from '../heartbeat.js';
import type { DestinationMap } from '../mapping.js';
import type { Subscription, SubscriptionRegistry } from '../subscriptions.js';

/**
 * What a frame handler may use of its connection. Handlers throw (or reject) to fail the
 * connection with an ERROR frame; they never touch the transport directly.
 */
export interface StompContext {
  readonly core: Core;
  readonly config: StompConfig;
  readonly log: Logger;
  readonly remoteAddress: string;
  /** The connection itself, as the core's delivery sink. */
  readonly sink: DeliverySink;
  /** Negotiated at CONNECT; '1.0' before. */
  readonly version: StompVersion;
  /** The core session; only valid once connected. */
  readonly session: CoreSession;
  readonly subscriptions: SubscriptionRegistry;
  /** Open transactions by their STOMP name. */
  readonly transactions: Map<string, TxId>;
  readonly destinations: DestinationMap;

  /** CONNECT succeeded: remember the session, start heart-beats, send CONNECTED. */
  opened(session: CoreSession, version: StompVersion, heartbeat: HeartbeatPlan, connected: HeaderList): void;
  /** Sends a browse subscription its snapshot, then the `browser:end` MESSAGE. */
  browsed(sub: Subscription, messages: BrowsedMessage[]): void;
  /** Sends a RECEIPT if the frame asked for one. */
  receipt(frame: InboundFrame): void;
  /**
   * Follows an operation the client is owed an answer for (SEND, ACK, ...) without holding up the
   * frames behind it: RECEIPT when it resolves, ERROR and close when it rejects. Too many at once
   * pause the socket.
   */
  track(frame: InboundFrame, operation: () => Promise<void>): void;
  /** Resolves once every tracked operation has finished (COMMIT, ABORT and DISCONNECT wait for it). */
  settled(): Promise<void>;
  /** Ends the connection after DISCONNECT: RECEIPT, flush, close. */
  disconnect(frame: InboundFrame): void;
}

export type FrameHandler = (frame: InboundFrame, ctx: StompContext) => void | Promise<void>;
