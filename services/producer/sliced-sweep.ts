/**
 * A set visited one slice per step, every member exactly once in each run of `slices` steps, so
 * a periodic pass over every socket (a `searching` each second, a ping each interval) writes
 * 1/`slices` of the sockets at a time instead of all of them in one turn: a gateway holding
 * thousands of sockets wrote them all at once (a writev each), and every join in flight waited
 * behind that stall.
 *
 * Members are dealt to slices in turn as they are added, so the slices stay even under churn
 * about as well as arrivals are; a member keeps its slice until deleted, so its visits stay
 * exactly one step interval × `slices` apart (what a ping's deadline needs). Several passes at
 * their own pace share one membership, each with a walker of its own. Pure: the caller's
 * timer calls each walker.
 */
export class SlicedSweep<T> {
  private readonly slots: Set<T>[];
  private readonly slotOf = new Map<T, Set<T>>();
  private dealt = 0;

  constructor(readonly slices: number) {
    if (!Number.isInteger(slices) || slices < 1) throw new RangeError(`slices must be a positive integer, not ${slices}`);
    this.slots = Array.from({ length: slices }, () => new Set<T>());
  }

  add(member: T): void {
    if (this.slotOf.has(member)) return;
    const slot = this.slots[this.dealt++ % this.slices]!;
    slot.add(member);
    this.slotOf.set(member, slot);
  }

  delete(member: T): void {
    this.slotOf.get(member)?.delete(member);
    this.slotOf.delete(member);
  }

  get size(): number {
    return this.slotOf.size;
  }

  /**
   * A pass of its own over the members: each call visits the next slice (a member deleted by
   * `visit` itself is fine: Set iteration allows it), starting from the first.
   */
  walker(): (visit: (member: T) => void) => void {
    let cursor = 0;
    return (visit) => {
      const slot = this.slots[cursor]!;
      cursor = (cursor + 1) % this.slices;
      for (const member of slot) visit(member);
    };
  }
}
