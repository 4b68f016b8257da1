/**
 * ActiveMQ's InactivityMonitor (docs/openwire.md §11): after an initial delay, a KeepAliveInfo
 * goes out whenever nothing was written for readCheck/3, and the connection is dead once
 * nothing at all was read for readCheck.
 */
export class InactivityMonitor {
  private lastReadMs = Date.now();
  private lastWriteMs = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private startTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onWriteIdle: () => void,
    private readonly onReadTimeout: (silentMs: number) => void,
  ) {}

  read(): void {
    this.lastReadMs = Date.now();
  }

  wrote(): void {
    this.lastWriteMs = Date.now();
  }

  /** Starts checking; readCheckMs 0 leaves monitoring off. */
  start(readCheckMs: number, initialDelayMs: number): void {
    this.stop();
    if (readCheckMs <= 0) return;
    const writeCheckMs = Math.max(1, Math.floor(readCheckMs / 3));
    this.startTimer = setTimeout(() => {
      this.lastReadMs = Date.now();
      this.timer = setInterval(() => {
        const now = Date.now();
        if (now - this.lastReadMs > readCheckMs) {
          this.stop();
          this.onReadTimeout(now - this.lastReadMs);
          return;
        }
        if (now - this.lastWriteMs >= writeCheckMs) this.onWriteIdle();
      }, writeCheckMs);
      this.timer.unref();
    }, Math.max(0, initialDelayMs));
    this.startTimer.unref();
  }

  stop(): void {
    clearTimeout(this.startTimer);
    clearInterval(this.timer);
    this.startTimer = undefined;
    this.timer = undefined;
  }
}
