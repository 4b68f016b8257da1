/**
 * Runs a connection's commands strictly in order (ActiveMQ processes one connection's commands
 * sequentially). A task that returns a promise holds back the ones after it until it settles;
 * synchronous tasks run at once, so the common path costs no extra tick.
 */
export class CommandQueue {
  private readonly tasks: Array<() => void | Promise<void>> = [];
  private busy = false;

  constructor(private readonly onError: (e: unknown) => void) {}

  get length(): number {
    return this.tasks.length;
  }

  push(task: () => void | Promise<void>): void {
    if (this.busy || this.tasks.length > 0) this.tasks.push(task);
    else this.run(task);
  }

  clear(): void {
    this.tasks.length = 0;
  }

  private run(task: () => void | Promise<void>): void {
    let result: void | Promise<void>;
    try {
      result = task();
    } catch (e) {
      this.onError(e);
      return;
    }
    if (result instanceof Promise) {
      this.busy = true;
      result.catch(this.onError).finally(this.next);
    }
  }

  private readonly next = (): void => {
    this.busy = false;
    while (!this.busy && this.tasks.length > 0) this.run(this.tasks.shift()!);
  };
}
