/** What an adapter's connection offers for bookkeeping. */
export interface TrackedConnection {
  /** Resolves once the connection is gone. */
  readonly closed: Promise<unknown>;
  /** Closes without a protocol error (broker shutdown, step-down); resolves when closed. */
  shutdown(): Promise<unknown>;
}

/** An adapter's open connections: counted, forgotten when they close, closed together at shutdown. */
export class ConnectionSet<C extends TrackedConnection> {
  private readonly open = new Set<C>();

  add(connection: C): void {
    this.open.add(connection);
    void connection.closed.then(() => this.open.delete(connection));
  }

  get size(): number {
    return this.open.size;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.open].map((c) => c.shutdown()));
  }
}
