import net from 'node:net';
import rhea from 'rhea';
import type { Connection, ConnectionDetails, ConnectionOptions, EventContext, Receiver, Sender } from 'rhea';
import type { EndpointEvents, HostPort } from '../drill-protocol.js';

export type AmqpLink = Sender | Receiver;

export interface ReconnectingAmqpOptions<L extends AmqpLink> {
  /** Also the AMQP container-id (with the process id). */
  name: string;
  /** The brokers of the pair; a standby does not listen, so the client ends up on the active. */
  addresses: readonly HostPort[];
  events: EndpointEvents;
  /** Opens the endpoint's one link; called at start and again after the broker detached it. */
  attach(connection: Connection): L;
  /** The link stopped being usable (connection lost or link detached): its unsettled deliveries are in doubt. */
  onLinkDown?(): void;
}

/** TCP connect must finish within this; a broker silent for twice IDLE_TIMEOUT_MS is dropped (rhea's idle timer). */
const CONNECT_TIMEOUT_MS = 1000;
const IDLE_TIMEOUT_MS = 1000;
/** rhea's reconnect back-off, doubling from the first to the second. */
const RECONNECT_DELAY_MS = { initial_reconnect_delay: 20, max_reconnect_delay: 100 };
/** Pause before attaching again a link the broker detached (while the connection stayed). */
const REATTACH_DELAY_MS = 100;

/** rhea's socket factory (net.connect's signature) with a connect timeout, which rhea lacks. */
function connectWithin(timeoutMs: number) {
  return (port: number, host: string, _options: unknown, onConnect: () => void): net.Socket => {
    const socket = net.connect({ port, host }, onConnect);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no TCP connection within ${timeoutMs} ms`)));
    socket.once('connect', () => socket.setTimeout(0));
    return socket;
  };
}

/** Opens one rhea connection with the drill's settings; `address` picks the broker of each attempt. */
export function openAmqpConnection(name: string, address: (attempt: number) => HostPort, reconnect: boolean): Connection {
  const container = rhea.create_container({ id: `${name}-${process.pid}` });
  // An unhandled rhea error would be thrown by its emitter; the connection's own events report them.
  container.on('error', () => undefined);
  let attempt = 0;
  // rhea's typings ask for a port, which connection_details gives instead, per attempt.
  const options = {
    reconnect,
    ...RECONNECT_DELAY_MS,
    // Any close from the broker (forced by a handoff or not) is worth reconnecting over.
    all_errors_non_fatal: true,
    idle_time_out: IDLE_TIMEOUT_MS,
    tcp_no_delay: true,
    connection_details: (): ConnectionDetails => {
      const a = address(attempt++);
      return { host: a.host, port: a.port, connect: connectWithin(CONNECT_TIMEOUT_MS) };
    },
  } as unknown as ConnectionOptions;
  return container.connect(options);
}

/** True when the broker answered the attach with a terminus (a refused attach carries a null one). */
function attached(link: AmqpLink): boolean {
  const remote = (link as unknown as { remote?: { attach?: { source?: unknown; target?: unknown } } }).remote?.attach;
  const terminus = link.is_receiver() ? remote?.source : remote?.target;
  return terminus !== undefined && terminus !== null && (terminus as { value?: unknown }).value !== null;
}

/**
 * One AMQP link that comes back by itself, as a failover-aware rhea application's would: rhea's
 * own reconnect, with `connection_details` going around the list (after a loss the next broker is
 * tried first), re-attaches the link on every new connection. The endpoint counts as connected
 * while its link is attached.
 */
export class ReconnectingAmqp<L extends AmqpLink> {
  readonly connection: Connection;
  private link: L | undefined;
  private up = false;
  private closing = false;
  private reattachTimer: NodeJS.Timeout | undefined;
  private address: HostPort;

  constructor(private readonly o: ReconnectingAmqpOptions<L>) {
    this.address = o.addresses[0]!;
    this.connection = openAmqpConnection(o.name, (attempt) => (this.address = o.addresses[attempt % o.addresses.length]!), true);
    this.connection.on('disconnected', (c: EventContext) => this.down(c.error?.message ?? 'connection lost'));
    // The broker's close (with its condition); rhea then reconnects when the socket ends.
    this.connection.on('connection_close', (c: EventContext) => {
      this.down(`closed by the broker: ${describe(c.connection.error)}`);
      // rhea reconnects after a close with a non-fatal error only; a close without one is a handoff too.
      if (!this.closing) c.connection.closed_with_non_fatal_error = true;
    });
    this.connection.on('connection_error', () => undefined);
    this.attachLink();
  }

  get connected(): boolean {
    return this.up;
  }

  /** The attached link, if connected. */
  get current(): L | undefined {
    return this.up ? this.link : undefined;
  }

  private attachLink(): void {
    const link = this.o.attach(this.connection);
    const kind = link.is_receiver() ? 'receiver' : 'sender';
    this.link = link;
    link.on(`${kind}_open`, () => {
      if (!attached(link) || this.up) return;
      this.up = true;
      this.o.events.connected(this.address);
    });
    link.on(`${kind}_error`, () => undefined);
    // Only the broker's detach closes a link (a lost connection does not): attach a new one.
    link.on(`${kind}_close`, () => {
      this.down(`link detached by the broker: ${describe(link.error)}`);
      if (this.closing || this.link !== link) return;
      this.link = undefined;
      this.reattachTimer = setTimeout(() => {
        if (!this.closing) this.attachLink();
      }, REATTACH_DELAY_MS);
    });
  }

  private down(reason: string): void {
    if (!this.up) return;
    this.up = false;
    this.o.onLinkDown?.();
    if (!this.closing) this.o.events.disconnected(reason);
  }

  /** Stops reconnecting and closes the connection politely (destroyed if the broker does not answer within `graceMs`). */
  async close(graceMs = 1000): Promise<void> {
    this.closing = true;
    clearTimeout(this.reattachTimer);
    const c = this.connection;
    c.set_reconnect(false);
    clearTimeout(c.scheduled_reconnect as NodeJS.Timeout | undefined);
    c.scheduled_reconnect = undefined;
    const socket = c.socket as net.Socket | undefined;
    if (c.is_remote_open() && socket && !socket.destroyed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        const done = (): void => { clearTimeout(timer); resolve(); };
        c.once('connection_close', done);
        c.once('disconnected', done);
        c.close();
      });
    }
    this.down('closed by the client');
    socket?.destroy();
  }
}

function describe(error: unknown): string {
  const e = error as { condition?: string; description?: string; message?: string } | undefined;
  if (!e) return 'no error';
  return [e.condition, e.description ?? e.message].filter(Boolean).join(' ');
}
