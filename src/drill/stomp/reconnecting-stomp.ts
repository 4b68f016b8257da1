import type { HostPort } from '../drill-protocol.js';
import type { StompFrame } from './stomp-frame.js';
import { StompSession, type StompSessionOptions } from './stomp-session.js';

export interface ReconnectOptions extends StompSessionOptions {
  /** The brokers of the pair; a standby refuses connections, so the client ends up on the active. */
  addresses: readonly HostPort[];
  /** Pause after a round in which no broker answered; doubles up to backoffMaxMs. */
  backoffMinMs: number;
  backoffMaxMs: number;
  onConnected(session: StompSession): void;
  onDisconnected(reason: string): void;
  onFrame(frame: StompFrame, session: StompSession): void;
}

/**
 * A STOMP connection that comes back by itself, as a failover-aware application's would: after a
 * loss it tries the other brokers of the list first, then around the list, with a short growing
 * pause after each round in which none answered. Hand-written for the drill (see stomp-frame.ts).
 */
export class ReconnectingStomp {
  private session: StompSession | undefined;
  private closing = false;
  private wakeUp: (() => void) | undefined;
  private readonly running: Promise<void>;

  constructor(private readonly o: ReconnectOptions) {
    this.running = this.run();
  }

  /** The live session, if connected. */
  get current(): StompSession | undefined {
    return this.session?.isOpen ? this.session : undefined;
  }

  private async run(): Promise<void> {
    let next = 0;
    let backoffMs = this.o.backoffMinMs;
    while (!this.closing) {
      let connectedTo = -1;
      for (let i = 0; i < this.o.addresses.length && !this.closing && connectedTo < 0; i++) {
        const index = (next + i) % this.o.addresses.length;
        const session = await StompSession.open(this.o.addresses[index]!, this.o).catch(() => undefined);
        if (!session) continue;
        if (this.closing) {
          await session.close();
          return;
        }
        connectedTo = index;
        await this.serve(session);
      }
      if (connectedTo >= 0) {
        next = (connectedTo + 1) % this.o.addresses.length;
        backoffMs = this.o.backoffMinMs;
      } else if (!this.closing) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, backoffMs);
          this.wakeUp = () => { clearTimeout(timer); resolve(); };
        });
        backoffMs = Math.min(backoffMs * 2, this.o.backoffMaxMs);
      }
    }
  }

  private async serve(session: StompSession): Promise<void> {
    this.session = session;
    session.onFrame = (f) => this.o.onFrame(f, session);
    this.o.onConnected(session);
    const reason = await session.closed;
    this.session = undefined;
    if (!this.closing) this.o.onDisconnected(reason);
  }

  /** Stops reconnecting and closes the session politely. */
  async close(): Promise<void> {
    this.closing = true;
    this.wakeUp?.();
    await this.session?.close();
    await this.running;
  }
}
