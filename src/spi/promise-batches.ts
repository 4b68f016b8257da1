/**
 * Items that wait for a promise, grouped by it: the core confirms every commit of one store group
 * commit with the same promise, so a burst of persistent sends (and their acknowledgements) costs
 * one promise reaction for the burst, not a promise, closures and a microtask per item. Each run of
 * items added for the same promise is handed over whole, in the order it was added.
 */
export class PromiseBatches<T> {
  /** The promise the open run waits for. */
  private last: Promise<unknown> | undefined;
  /** The open run: closed (undefined) once its promise has settled. */
  private run: T[] | undefined;
  private reaction: Promise<void> | undefined;

  constructor(
    private readonly fulfilled: (items: T[]) => void,
    /** May throw: the promise add() returned then rejects with that. */
    private readonly rejected: (items: T[], err: unknown) => void,
  ) {}

  /** Adds `item` (if any) to the run waiting for `p`; returns the promise of that run's reaction. */
  add(p: Promise<unknown>, item?: T): Promise<void> {
    if (p !== this.last || this.run === undefined) this.open(p);
    if (item !== undefined) this.run!.push(item);
    return this.reaction!;
  }

  private open(p: Promise<unknown>): void {
    const run: T[] = [];
    this.last = p;
    this.run = run;
    this.reaction = p.then(
      () => {
        this.close(run);
        this.fulfilled(run);
      },
      (err: unknown) => {
        this.close(run);
        this.rejected(run, err);
      },
    );
  }

  private close(run: T[]): void {
    if (this.run !== run) return;
    this.run = undefined;
    this.last = undefined;
  }
}
