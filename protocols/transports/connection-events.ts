/**
 * The drain and close listeners of a TransportConnection: drain fires only after a write
 * reported a full buffer; close fires exactly once, also for listeners added after it.
 */
export class ConnectionEvents {
  private readonly drainListeners: Array<() => void> = [];
  private readonly closeListeners: Array<(error?: Error) => void> = [];
  private needDrain = false;
  private closed: { error?: Error } | undefined;

  get isClosed(): boolean {
    return this.closed !== undefined;
  }

  onDrain(listener: () => void): void {
    this.drainListeners.push(listener);
  }

  onClose(listener: (error?: Error) => void): void {
    const closed = this.closed;
    if (closed) queueMicrotask(() => listener(closed.error));
    else this.closeListeners.push(listener);
  }

  /** Records the outcome of a write: `full` means the caller must wait for drain. */
  wrote(full: boolean): boolean {
    if (full) this.needDrain = true;
    return !full;
  }

  /** The buffer went below its high-water mark. */
  drained(): void {
    if (!this.needDrain || this.closed) return;
    this.needDrain = false;
    for (const l of this.drainListeners) l();
  }

  close(error?: Error): void {
    if (this.closed) return;
    this.closed = error ? { error } : {};
    for (const l of this.closeListeners.splice(0)) l(error);
    this.drainListeners.length = 0;
  }
}
