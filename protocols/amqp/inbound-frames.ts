import { binaryField, DESCRIPTOR, descriptorOf, listFields, TYPECODE } from './codec.js';
import { AmqpProtocolError, CONDITION } from './errors.js';
import type { TransferFacts } from './handlers/context.js';
import type { EngineConnection, EngineDelivery, InboundFrame, Typed } from './rhea-engine.js';

/** A disposition range wider than any session buffer is hostile (rhea walks it id by id). */
const MAX_DISPOSITION_RANGE = 65_536;

/** A described value that is not of the expected type (undefined and null are no value). */
function isForeign(v: Typed | undefined, expected: number): boolean {
  return v !== undefined && v.type.typecode !== TYPECODE.null && descriptorOf(v) !== expected;
}

/** A delivery state rhea knows: received, accepted, rejected, released, modified. */
function isOutcome(v: Typed | undefined): boolean {
  const code = descriptorOf(v);
  return code !== undefined && code >= DESCRIPTOR.received && code <= DESCRIPTOR.modified;
}

/**
 * What the connection does to attach, transfer and disposition frames before rhea handles them
 * (see rhea-engine's installFrameHooks), and what it learns from them for the link handlers:
 * coordinator attaches, the facts of each transfer, the txn-ids of transactional dispositions.
 * Throws AmqpProtocolError for frames the connection must be closed for.
 */
export class InboundFrames {
  private readonly incomplete = new Map<string, TransferFacts & { bytes: number }>();
  private lastTransfer: TransferFacts | undefined;
  private readonly dispositionTxn = new WeakMap<EngineDelivery, Buffer>();
  private coordinatorAttach = false;

  constructor(private readonly engine: EngineConnection, private readonly maxMessageBytes: number) {}

  /** Whether the attach being dispatched is for a coordinator (asked once per attach). */
  takeCoordinatorAttach(): boolean {
    const coordinator = this.coordinatorAttach;
    this.coordinatorAttach = false;
    return coordinator;
  }

  /** The facts of the message being dispatched (asked once per message). */
  takeTransfer(): TransferFacts {
    const facts = this.lastTransfer ?? { format: 0, oversized: false, aborted: false, overCredit: false };
    this.lastTransfer = undefined;
    return facts;
  }

  txnOfDelivery(delivery: EngineDelivery): Buffer | undefined {
    return this.dispositionTxn.get(delivery);
  }

  attach(frame: InboundFrame): void {
    const p = frame.performative;
    this.coordinatorAttach = false;
    // rhea drops coordinator targets (it knows only source and target termini).
    if (!p['role'] && descriptorOf(p.value[6]) === DESCRIPTOR.coordinator) {
      this.coordinatorAttach = true;
      p['target'] = null;
    }
    // A terminus of any other type is no terminus (rhea would complain on the console).
    if (isForeign(p.value[5], DESCRIPTOR.source)) p['source'] = null;
    if (isForeign(p.value[6], DESCRIPTOR.target)) p['target'] = null;
  }

  transfer(frame: InboundFrame): void {
    const p = frame.performative;
    const key = `${frame.channel}:${String(p['handle'])}`;
    let facts = this.incomplete.get(key);
    if (!facts) {
      const format = typeof p['message_format'] === 'number' ? p['message_format'] : 0;
      facts = { format, oversized: false, aborted: false, overCredit: false, bytes: 0 };
      // With no format rhea hands us the raw message bytes instead of decoding them.
      if (format === 0) p['message_format'] = null;
      const link = this.engine.remote_channel_map[frame.channel]?.remote.handles[Number(p['handle'])];
      if (link?.is_sender()) throw new AmqpProtocolError(CONDITION.illegalState, 'transfer on a link the peer receives on');
      if (link && link.credit <= 0) {
        // Sent without credit (spec 2.6.7): the link handler detaches; rhea would only log it.
        facts.overCredit = true;
        link.credit = 1;
      }
    }
    facts.bytes += frame.payload?.length ?? 0;
    if (facts.oversized || facts.bytes > this.maxMessageBytes) {
      // Assembly stops growing; the handler rejects the message.
      facts.oversized = true;
      if (frame.payload) frame.payload = Buffer.alloc(0);
    }
    const state = p.value[7];
    if (descriptorOf(state) !== undefined) facts.state = state;
    if (p['aborted']) {
      facts.aborted = true;
      p['more'] = false;
    }
    if (p['more']) {
      this.incomplete.set(key, facts);
    } else {
      this.incomplete.delete(key);
      this.lastTransfer = facts;
    }
  }

  disposition(frame: InboundFrame): void {
    const p = frame.performative;
    const first = p['first'];
    const last = typeof p['last'] === 'number' ? p['last'] : first;
    if (typeof first !== 'number' || typeof last !== 'number' || last < first || last - first >= MAX_DISPOSITION_RANGE) {
      throw new AmqpProtocolError(CONDITION.invalidField, 'disposition range is not valid');
    }
    const raw = p.value[4];
    // No state is an absent field: rhea takes even an encoded null for an outcome.
    if (descriptorOf(raw) !== DESCRIPTOR.transactionalState) {
      if (!isOutcome(raw)) p.value.length = Math.min(p.value.length, 4);
      return;
    }
    const fields = listFields(raw!);
    const txnId = binaryField(fields[0]) ?? Buffer.alloc(0);
    // rhea knows only terminal outcomes: hand it the inner one, keep the txn-id per delivery.
    if (isOutcome(fields[1])) p['state'] = fields[1];
    else p.value.length = Math.min(p.value.length, 4);
    if (!p['role']) return;
    const session = this.engine.remote_channel_map[frame.channel];
    for (let id = first; id <= last; id++) {
      const d = session?.outgoing.deliveries.by_id(id);
      if (d) this.dispositionTxn.set(d, txnId);
    }
  }
}
