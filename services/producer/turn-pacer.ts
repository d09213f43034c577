/**
 * Spreads a burst of deferrable work over event-loop turns: at most `perTurn` passes a turn; the
 * rest wait, in the order they asked, for the next turns' check phase (setImmediate). Between two
 * turns Node polls for I/O, so what a socket brought meanwhile (a player's join, the Redis reply
 * and the broker confirm it waits for) is read between two slices of the burst instead of after
 * all of it.
 *
 * The gateway paces its deliveries with it: a tick's outcomes for a thousand players were told in
 * one go, tens of milliseconds of one turn each time, and every join that came in then waited for
 * it (docs/performance.md, "the tick's burst"). Passes keep their order, so two deliveries to
 * one player still start in the order they came.
 *
 * A pass never waits much past `maxWaitMs`: a turn lets through, beyond its `perTurn`, every pass
 * that has waited that long. Under an overload a turn can take tens of ms (every join's I/O in
 * it), and a fixed share a turn held the tellings back by seconds (formed→told p50 4.5 s in the
 * e2e run): outcomes, a ready check's `found` among them, must not wait behind joins that long.
 */
export class TurnPacer {
  private used = 0;
  private readonly waiting: { pass: () => void; since: number }[] = [];
  private head = 0;
  private scheduled = false;

  constructor(
    private readonly perTurn: number,
    private readonly maxWaitMs: number,
    /** When the next turn's passes go; setImmediate in production, a test may step turns itself. */
    private readonly schedule: (next: () => void) => void = (next) => setImmediate(next),
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!Number.isInteger(perTurn) || perTurn < 1) throw new RangeError(`a turn lets at least one pass, not ${perTurn}`);
  }

  /** Resolves at once while this turn has passes left and nobody waits, else in a later turn. */
  pass(): Promise<void> {
    if (this.used < this.perTurn && this.head === this.waiting.length) {
      this.used += 1;
      this.nextTurn();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.waiting.push({ pass: resolve, since: this.now() });
      this.nextTurn();
    });
  }

  /** Passes waiting now. */
  get backlog(): number {
    return this.waiting.length - this.head;
  }

  private nextTurn(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(this.turn);
  }

  private readonly turn = (): void => {
    this.scheduled = false;
    this.used = 0;
    const overdue = this.now() - this.maxWaitMs;
    while (this.head < this.waiting.length && (this.used < this.perTurn || this.waiting[this.head]!.since <= overdue)) {
      this.used += 1;
      this.waiting[this.head++]!.pass();
    }
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      // A backlog that never empties (a long overload) must not keep every pass it gave.
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    // Passes given this turn count against it; the count starts over at the next one.
    if (this.used > 0) this.nextTurn();
  };
}
