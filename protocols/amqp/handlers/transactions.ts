import { BrokerError, type CoreSession, type TxId } from '../../../src/spi/index.js';

/**
 * Local transactions of one connection (spec 4.4): AMQP txn-ids (opaque binary we choose) to
 * core transactions, and which coordinator link declared each, since a coordinator that goes
 * away takes its open transactions with it (rolled back).
 */
export class Transactions {
  private readonly open = new Map<string, { tx: TxId; coordinator: object }>();

  constructor(private readonly session: () => CoreSession) {}

  declare(coordinator: object): Buffer {
    const tx = this.session().begin();
    const id = Buffer.alloc(4);
    id.writeUInt32BE(tx >>> 0);
    this.open.set(id.toString('hex'), { tx, coordinator });
    return id;
  }

  /** The core transaction of a txn-id; throws NO_SUCH_TRANSACTION. */
  txOf(txnId: Buffer | undefined): TxId {
    const entry = txnId ? this.open.get(txnId.toString('hex')) : undefined;
    if (!entry) throw new BrokerError('NO_SUCH_TRANSACTION', 'unknown transaction id');
    return entry.tx;
  }

  /** Commits (or with `fail`, rolls back) and forgets the transaction. */
  async discharge(txnId: Buffer | undefined, fail: boolean): Promise<void> {
    const tx = this.txOf(txnId);
    this.open.delete(txnId!.toString('hex'));
    if (fail) await this.session().rollback(tx);
    else await this.session().commit(tx);
  }

  /** Rolls back what a coordinator declared and did not discharge. */
  async rollbackAll(coordinator: object): Promise<void> {
    const work: Array<Promise<void>> = [];
    for (const [key, entry] of this.open) {
      if (entry.coordinator !== coordinator) continue;
      this.open.delete(key);
      work.push(this.session().rollback(entry.tx));
    }
    await Promise.all(work);
  }
}
