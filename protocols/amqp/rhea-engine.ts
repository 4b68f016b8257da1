import rhea from 'rhea';
import type { AmqpError } from './errors.js';

/**
 * The part of rhea (3.x) this adapter drives, typed in one place.
 *
 * rhea is the AMQP 1.0 engine (connection/session/link state, flow control, framing) and codec.
 * Its public typings cover clients; a broker needs a few of its internals, all named here:
 * endpoint state (to answer an attach only once the core has answered), link credit and
 * delivery-count (drain), the session's delivery buffers and handle map, and per-connection
 * hooks in front of attach, transfer and disposition (see installFrameHooks). Everything
 * rhea-specific stays behind this file and codec.ts; tested against rhea 3.0.
 */

/** A value of the AMQP type system as rhea's codec represents it. */
export interface Typed {
  type: { typecode: number; name: string };
  value: unknown;
  descriptor?: Typed;
}

export interface TypedReader {
  position: number;
  read(): Typed;
  remaining(): number;
}

export interface TypedWriter {
  write(value: Typed): void;
  toBuffer(): Buffer;
}

/** rhea's type system: constructors by AMQP type, and the reader/writer. */
export interface RheaTypes {
  Reader: new (buffer: Buffer) => TypedReader;
  Writer: new (buffer?: Buffer) => TypedWriter;
  Null(): Typed;
  Ubyte(v: number): Typed;
  Byte(v: number): Typed;
  Short(v: number): Typed;
  Long(v: Buffer): Typed;
  Float(v: number): Typed;
  Double(v: number): Typed;
  CharUTF32(v: number): Typed;
  Timestamp(v: number): Typed;
  Uuid(v: Buffer): Typed;
  Map32(items: Typed[]): Typed;
  wrap_boolean(v: boolean): Typed;
  wrap_uint(v: number): Typed;
  wrap_ulong(v: number | Buffer): Typed;
  wrap_long(v: number | Buffer): Typed;
  wrap_int(v: number): Typed;
  wrap_binary(v: Uint8Array): Typed;
  wrap_string(v: string): Typed;
  wrap_symbol(v: string): Typed;
  wrap_list(items: unknown[]): Typed;
  described(descriptor: Typed, value: Typed): Typed;
}

export const types = (rhea as unknown as { types: RheaTypes }).types;

/** A performative as rhea decodes it: a described list with named accessors. */
export interface Performative {
  /** The raw fields, in list order. */
  value: Typed[];
  [field: string]: unknown;
}

export interface InboundFrame {
  channel: number;
  performative: Performative;
  payload?: Buffer;
}

/** A decoded source or target terminus (spec 3.5.3, 3.5.4). */
export interface RemoteTerminus {
  address?: string | null;
  durable?: number | null;
  expiry_policy?: string | null;
  timeout?: number | null;
  dynamic?: boolean | null;
  dynamic_node_properties?: Record<string, unknown> | null;
  distribution_mode?: string | null;
  /** Values are described Typed values (filters are described types). */
  filter?: Record<string, unknown> | null;
  capabilities?: string | string[] | null;
}

export interface RemoteAttach {
  name: string;
  handle: number;
  snd_settle_mode?: number | null;
  rcv_settle_mode?: number | null;
  source: RemoteTerminus | null;
  target: RemoteTerminus | null;
  max_message_size?: number | null;
  desired_capabilities?: string | string[] | null;
}

/** What we answer in our attach: rhea encodes these fields (terminus fields as rhea names them). */
export interface LocalAttach {
  source: unknown;
  target: unknown;
  snd_settle_mode: number;
  rcv_settle_mode: number;
  max_message_size: number | null;
  offered_capabilities: string | string[] | null;
}

export interface EndpointState {
  local_open: boolean;
  remote_open: boolean;
  open_requests: number;
  /** rhea's token for answering a detach on the next tick (see holdDetachAnswer). */
  marker: unknown;
}

export interface EngineDelivery {
  readonly id: number;
  readonly tag: Buffer;
  readonly link: EngineLink;
  readonly remote_settled: boolean;
  /** For outgoing deliveries: the peer's outcome as a composite (delivery_failed, ...). */
  readonly remote_state?: { delivery_failed?: boolean; undeliverable_here?: boolean; error?: unknown } | null;
  settled: boolean;
  update(settled: boolean, state?: Typed): void;
}

export interface EngineLink {
  readonly name: string;
  readonly session: EngineSession;
  readonly connection: EngineConnection;
  readonly state: EndpointState;
  readonly local: { handle: number; attach: LocalAttach };
  readonly remote: { attach?: RemoteAttach; detach?: { closed?: boolean; error?: unknown } };
  /** Sender: credit left on the wire; receiver: credit we granted and the peer has not used. */
  credit: number;
  delivery_count: number;
  set_source(fields: Record<string, unknown> | null): void;
  set_target(fields: Record<string, unknown> | null): void;
  open(): void;
  close(error?: AmqpError): void;
  /** Detach without closing (closed=false). */
  detach(): void;
  /** Forgets the link (its session's maps). */
  remove(): void;
  is_open(): boolean;
  is_closed(): boolean;
  is_sender(): boolean;
  on(event: string, listener: (context: EngineContext) => void): void;
}

export interface EngineSender extends EngineLink {
  send(payload: Buffer, tag: Buffer, format: number): EngineDelivery;
}

export interface EngineReceiver extends EngineLink {
  add_credit(n: number): void;
}

export interface EngineSession {
  readonly connection: EngineConnection;
  readonly local: { channel: number };
  readonly incoming: { next_transfer_id: number; readonly window: number; max_transfer_id: number };
  readonly outgoing: {
    next_transfer_id: number;
    window: number;
    deliveries: { available(): number; by_id(id: number): EngineDelivery | undefined };
  };
  output(performative: Typed): void;
  /** The peer's handles to our links. */
  readonly remote: { handles: Record<number, EngineLink | undefined> };
  /** rhea's links of this session, by (rhea's) link name. */
  readonly links: Record<string, EngineLink | undefined>;
}

export interface RemoteOpen {
  container_id?: string | null;
  hostname?: string | null;
  max_frame_size?: number | null;
  idle_time_out?: number | null;
  desired_capabilities?: string | string[] | null;
}

export interface EngineContext {
  connection: EngineConnection;
  session?: EngineSession;
  sender?: EngineSender;
  receiver?: EngineReceiver;
  delivery?: EngineDelivery;
  /** With our frame hooks installed, always the raw encoded message. */
  message?: Buffer;
  format?: number | null;
  error?: unknown;
}

/** What rhea needs of a socket (see Connection.accept / init / output). */
export interface SocketLike {
  readonly encrypted: boolean;
  readonly authorized: boolean;
  on(event: 'data' | 'error' | 'end', listener: (arg?: unknown) => void): unknown;
  write(data: Buffer): void;
  end(): void;
  destroy(): void;
  get_id_string(): string;
}

export interface EngineConnection {
  readonly remote: { open?: RemoteOpen };
  readonly remote_channel_map: Record<number, EngineSession | undefined>;
  accept(socket: SocketLike): EngineConnection;
  open(): void;
  close(error?: AmqpError): void;
  is_open(): boolean;
  on(event: string, listener: (context: EngineContext) => void): void;
  on_attach(frame: InboundFrame): void;
  on_transfer(frame: InboundFrame): void;
  on_disposition(frame: InboundFrame): void;
  _write_open(): void;
}

/** A SASL mechanism on the server side, as rhea's SASL layer drives it. */
export interface ServerMechanism {
  outcome: boolean | undefined;
  username: string | undefined;
  start(response: Buffer | undefined, hostname?: string): Promise<void>;
}

export interface EngineOptions {
  containerId: string;
  maxFrameBytes: number;
  channelMax: number;
  idleTimeoutMs: number;
  offeredCapabilities: string[];
  properties: Record<string, string>;
  mechanisms: Record<string, () => ServerMechanism>;
}

interface RheaContainer {
  sasl_server_mechanisms: Record<string, () => ServerMechanism>;
  on(event: 'error', listener: (e: unknown) => void): void;
  create_connection(options: Record<string, unknown>): EngineConnection;
}

/** Our attach answer for a link is held back until the core has answered (rhea answers at once). */
export function holdLocalAttach(link: EngineLink): void {
  if (!link.state.local_open) return;
  link.state.local_open = false;
  link.state.open_requests = Math.max(0, link.state.open_requests - 1);
}

/** Refuses a link (spec 2.6.3): an attach with a null terminus on our side, then a closing detach. */
export function refuseLink(link: EngineLink, error: AmqpError): void {
  if (link.is_sender()) link.local.attach.source = null;
  else link.local.attach.target = null;
  link.open();
  link.close(error);
}

/**
 * Answers the peer's detach with the same `closed` flag. rhea answers closed=true by itself; for
 * closed=false we detach first, which stops rhea's own answer, and forget the link afterwards.
 */
export function answerDetach(link: EngineLink, closed: boolean): void {
  if (closed || !link.state.local_open) return;
  link.detach();
  setImmediate(() => link.remove());
}

/**
 * Keeps rhea from answering the peer's closing detach by itself (it would on the next tick, if
 * the mark it sets after the close event still holds), for work that must be done before the
 * answer; answerHeldDetach() answers.
 */
export function holdDetachAnswer(link: EngineLink): void {
  process.nextTick(() => {
    link.state.marker = holdDetachAnswer;
  });
}

export function answerHeldDetach(link: EngineLink, error?: AmqpError): void {
  link.close(error);
  setImmediate(() => link.remove());
}

/** How often a drain waits for rhea to put out deliveries held by the session window. */
export const DRAIN_RETRY_MS = 10;

/**
 * Ends a drain (spec 2.6.7) on a sending link: the unused credit is consumed by advancing the
 * delivery-count, and a flow with drain=true tells the receiver. Returns the credit consumed.
 */
export function completeDrain(link: EngineSender): number {
  const consumed = Math.max(0, link.credit);
  link.delivery_count += consumed;
  link.credit = 0;
  const session = link.session;
  const incomingWindow = session.incoming.window;
  const nextIncoming = session.incoming.next_transfer_id >>> 0;
  session.incoming.max_transfer_id = nextIncoming + incomingWindow;
  session.output(describedFlow([
    types.wrap_uint(nextIncoming),
    types.wrap_uint(incomingWindow),
    types.wrap_uint(session.outgoing.next_transfer_id >>> 0),
    types.wrap_uint(session.outgoing.window >>> 0),
    types.wrap_uint(link.local.handle),
    types.wrap_uint(link.delivery_count >>> 0),
    types.wrap_uint(0),
    types.Null(),
    types.wrap_boolean(true),
  ]));
  return consumed;
}

function describedFlow(fields: Typed[]): Typed {
  return types.described(types.wrap_ulong(0x13), types.wrap_list(fields));
}

/**
 * A server-side rhea connection for one transport connection. Each connection gets its own rhea
 * container so that its SASL mechanisms can report the principal to this connection alone.
 */
export function createEngineConnection(options: EngineOptions, socket: SocketLike, onContainerError: (e: unknown) => void): EngineConnection {
  const container = (rhea as unknown as { create_container(o: Record<string, unknown>): RheaContainer }).create_container({
    id: options.containerId,
  });
  // Unhandled 'error' events on an EventEmitter throw: keep them in our hands.
  container.on('error', onContainerError);
  Object.assign(container.sasl_server_mechanisms, options.mechanisms);
  const connection = container.create_connection({
    container_id: options.containerId,
    max_frame_size: options.maxFrameBytes,
    channel_max: options.channelMax,
    idle_time_out: options.idleTimeoutMs > 0 ? options.idleTimeoutMs : undefined,
    offered_capabilities: options.offeredCapabilities,
    properties: options.properties,
    // Sessions may hold this many unsettled deliveries each way (rhea's default is 2048).
    session_buffer_size: { incoming: 8192, outgoing: 65536 },
    // We grant and settle ourselves; modified is not released for a broker.
    receiver_options: { credit_window: 0, autoaccept: false },
    sender_options: { autosettle: true, treat_modified_as_released: false },
    reconnect: false,
  });
  return connection.accept(socket);
}

/** Prefix of rhea's internal name for a link the peer sends on (see installFrameHooks). */
const RECEIVING_PREFIX = '\u0000receiving:';

export interface FrameHooks {
  attach(frame: InboundFrame): void;
  transfer(frame: InboundFrame): void;
  disposition(frame: InboundFrame): void;
  /** rhea is writing our open frame. */
  openWritten(): void;
}

/**
 * Lets us see three performatives before rhea handles them, on this connection only: attach
 * (rhea drops coordinator targets), transfer (to keep the raw message bytes, count assembled
 * bytes and read transactional state) and disposition (rhea ignores transactional state); and
 * tells when rhea writes our open.
 */
export function installFrameHooks(connection: EngineConnection, hooks: FrameHooks): void {
  const proto = Object.getPrototypeOf(connection) as EngineConnection;
  connection.on_attach = (frame) => {
    hooks.attach(frame);
    // rhea keys a session's links by name alone, but a peer may use one name for a link each
    // way (Qpid Proton does): links the peer sends on get a prefix inside rhea, not on the wire.
    const p = frame.performative;
    const name = p['name'];
    const peerSends = !p['role'] && typeof name === 'string';
    if (peerSends) p['name'] = RECEIVING_PREFIX + name;
    proto.on_attach.call(connection, frame);
    if (!peerSends) return;
    p['name'] = name;
    const link = connection.remote_channel_map[frame.channel]?.links[RECEIVING_PREFIX + name];
    if (link) (link.local.attach as unknown as { name: string }).name = name;
  };
  connection.on_transfer = (frame) => {
    hooks.transfer(frame);
    proto.on_transfer.call(connection, frame);
  };
  connection.on_disposition = (frame) => {
    hooks.disposition(frame);
    proto.on_disposition.call(connection, frame);
  };
  connection._write_open = () => {
    hooks.openWritten();
    proto._write_open.call(connection);
  };
}

/** Outcomes (spec 3.4) as rhea encodes them. */
interface RheaOutcomes {
  accepted(): { described(): Typed };
  rejected(fields: { error?: AmqpError }): { described(): Typed };
  released(): { described(): Typed };
}

const outcomes = (rhea as unknown as { message: RheaOutcomes }).message;

export const outcome = {
  accepted: (): Typed => outcomes.accepted().described(),
  released: (): Typed => outcomes.released().described(),
  rejected: (error: AmqpError): Typed => outcomes.rejected({ error }).described(),
};
