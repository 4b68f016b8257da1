import { ProtocolError } from './errors.js';

/**
 * Heart-beat negotiation (STOMP 1.1+ §"Heart-beating"). The client's CONNECT says `cx,cy`: it can
 * send every cx ms and wants to receive every cy ms (0 = never). The server answers `sx,sy` and each
 * side then beats every max(own, other's wish) ms. The server keeps within [heartbeatMinMs,
 * heartbeatMaxMs]:
 *   sx = clamp(cy), so we send at least as often as asked (never more often than min, and at least
 *        every max — sending more often than the negotiated interval is always allowed);
 *   sy = clamp(cx), so a client offering to beat faster than min is told min; one beating slower
 *        than max is still honoured (the spec's max() rule cannot be overridden).
 * ActiveMQ, like this, negotiates for every version (a 1.0 client just sends no header).
 */
export interface HeartbeatPlan {
  /** Send an EOL when nothing else was written for this long; 0 = never. */
  sendMs: number;
  /** Expect something from the client at least this often; 0 = never. */
  receiveMs: number;
  /** The CONNECTED `heart-beat` header value. */
  header: string;
}

export interface HeartbeatLimits {
  heartbeatMinMs: number;
  heartbeatMaxMs: number;
}

const HEADER = /^\s*(\d{1,10})\s*,\s*(\d{1,10})\s*$/;

export function negotiateHeartbeat(header: string | undefined, limits: HeartbeatLimits): HeartbeatPlan {
  let cx = 0;
  let cy = 0;
  if (header !== undefined) {
    const match = HEADER.exec(header);
    // ActiveMQ's text for the case; a fatal error there too.
    if (!match) throw new ProtocolError(`Invalid heart-beat header:${header}`);
    cx = Number(match[1]);
    cy = Number(match[2]);
  }
  const clamp = (ms: number): number => (ms === 0 ? 0 : Math.min(limits.heartbeatMaxMs, Math.max(limits.heartbeatMinMs, ms)));
  const sx = clamp(cy);
  const sy = clamp(cx);
  return { sendMs: sx, receiveMs: sy === 0 ? 0 : Math.max(cx, sy), header: `${sx},${sy}` };
}

export interface HeartbeatIo {
  /** ms timestamps of the last byte read from / written to the client. */
  lastReadAt(): number;
  lastWriteAt(): number;
  beat(): void;
  /** The client was silent for longer than allowed. */
  timedOut(silentMs: number): void;
}

/** Runs a negotiated plan: beats when the line is quiet, and declares a silent client dead. */
export class HeartbeatMonitor {
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly plan: HeartbeatPlan,
    private readonly graceFactor: number,
    private readonly io: HeartbeatIo,
  ) {}

  start(): void {
    const { sendMs, receiveMs } = this.plan;
    // Checking every quarter interval and beating after three quarters of quiet keeps every gap
    // between two writes within the interval, with a margin for timer and network delays.
    if (sendMs > 0) {
      this.every(sendMs / 4, () => {
        if (Date.now() - this.io.lastWriteAt() >= (sendMs * 3) / 4) this.io.beat();
      });
    }
    if (receiveMs > 0) {
      const allowedMs = receiveMs * this.graceFactor;
      this.every(Math.min(receiveMs, allowedMs / 2), () => {
        const silentMs = Date.now() - this.io.lastReadAt();
        if (silentMs > allowedMs) this.io.timedOut(silentMs);
      });
    }
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  private every(ms: number, tick: () => void): void {
    const timer = setInterval(tick, Math.max(1, Math.floor(ms)));
    timer.unref();
    this.timers.push(timer);
  }
}
