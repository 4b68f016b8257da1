/** The global cap on open client connections, shared by every listener of a broker. */
export class ConnectionLimiter {
  private open = 0;

  constructor(readonly max: number) {}

  get count(): number {
    return this.open;
  }

  /** Takes a slot; false when all are taken. */
  tryAcquire(): boolean {
    if (this.open >= this.max) return false;
    this.open++;
    return true;
  }

  release(): void {
    this.open--;
  }
}
