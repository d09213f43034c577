/**
 * Calls of one event-loop turn, sent together: each `add` is held until the end of the turn
 * (setImmediate, as the gateway's turn writes are), then the turn's items go to `run` grouped
 * by `groupOf` (a Redis hash slot, say: a script call may only touch keys of one), in the order
 * they were added, at most `max` items a call, and each caller gets its own item's answer. A
 * call that fails fails every caller in it, none in the others.
 *
 * The point is the count of calls: a gateway told a tick's thousand outcomes makes a thousand
 * claims in a few turns, and one script call per pool and turn costs Redis and the gateway far
 * less than a call each, while every claim keeps its own answer.
 */
export class TurnBatch<I, O> {
  private held: { item: I; resolve: (answer: O) => void; reject: (error: unknown) => void }[] = [];

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly groupOf: (item: I) => string,
    private readonly max: number,
    /** When the held items go; setImmediate in production, a test may flush itself. */
    private readonly schedule: (flush: () => void) => void = (flush) => setImmediate(flush),
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`a batch holds at least one item, not ${max}`);
  }

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      if (this.held.push({ item, resolve, reject }) === 1) this.schedule(this.flush);
    });
  }

  private readonly flush = (): void => {
    const held = this.held;
    this.held = [];
    const groups = new Map<string, typeof held>();
    for (const entry of held) {
      const key = this.groupOf(entry.item);
      const group = groups.get(key);
      if (group) group.push(entry);
      else groups.set(key, [entry]);
    }
    for (const group of groups.values()) {
      for (let start = 0; start < group.length; start += this.max) {
        const slice = group.slice(start, start + this.max);
        this.run(slice.map((entry) => entry.item)).then(
          (answers) => slice.forEach((entry, index) => entry.resolve(answers[index]!)),
          (error: unknown) => slice.forEach((entry) => entry.reject(error)),
        );
      }
    }
  };
}
