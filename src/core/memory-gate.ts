/**
 * Producer flow control on memory: counts the bytes of message bodies held, and makes producers
 * wait while the count is over the limit, until it falls back under 90% of it.
 */
export class MemoryGate {
  bytes = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly limitBytes: number) {}

  get blocked(): boolean {
    return this.bytes >= this.limitBytes;
  }

  add(n: number): void {
    this.bytes += n;
  }

  release(n: number): void {
    this.bytes -= n;
    if (this.waiters.length > 0 && this.bytes < this.limitBytes * 0.9) this.releaseAll();
  }

  whenOpen(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  releaseAll(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }
}
