/**
 * The two orders a tick works in, both total and independent of the order tickets were added:
 *  - by rating: rating ascending, ties by a 32-bit hash of ticketId, then by ticketId itself.
 *    The hash stands in for the id so the sorts stay on typed arrays; it is still a function
 *    of the id alone, so redelivered or reordered messages give the same rooms.
 *  - by wait: joinedAt ascending, ties by the rating order. Tickets that arrived together
 *    (a burst) are then served as a sweep up the rating scale, which packs them into rooms of
 *    neighbours and walks memory in order, instead of a random scatter.
 */
import type { Ticket } from "./types.js";
import { float64Key, RadixSorter } from "./radix-sort.js";

/** FNV-1a over the UTF-16 code units of the id. */
export function ticketIdHash(ticketId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < ticketId.length; i++) {
    h ^= ticketId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Reusable buffers for ordering up to `capacity` tickets; one per pool, so ticks allocate nothing. */
export class TicketOrderer {
  private readonly sorter = new RadixSorter();
  private hi = new Uint32Array(0);
  private lo = new Uint32Array(0);
  private waitHi = new Uint32Array(0);
  private waitLo = new Uint32Array(0);
  byWait = new Uint32Array(0);
  byRating = new Uint32Array(0);

  /**
   * Fills byRating[0..n) and byWait[0..n) with ticket indices. `ratings`, `joinedAt` and
   * `hashes` are per index; `tickets` is read only to break full hash ties.
   */
  order(tickets: readonly Ticket[], ratings: Float64Array, joinedAt: Float64Array, hashes: Uint32Array, n: number): void {
    this.reserve(n);
    const { hi, lo, waitHi, waitLo, byWait, byRating, sorter } = this;
    for (let i = 0; i < n; i++) {
      byRating[i] = i;
      float64Key(ratings[i]!, i, hi, lo);
      float64Key(joinedAt[i]!, i, waitHi, waitLo);
    }
    sorter.sort(byRating, n, [hi, lo, hashes]);
    breakHashTies(tickets, ratings, hashes, byRating, n);
    byWait.set(byRating.subarray(0, n));
    sorter.sort(byWait, n, [waitHi, waitLo]);
  }

  private reserve(n: number): void {
    if (this.byWait.length >= n) return;
    const capacity = Math.max(n, this.byWait.length * 2);
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.waitHi = new Uint32Array(capacity);
    this.waitLo = new Uint32Array(capacity);
    this.byWait = new Uint32Array(capacity);
    this.byRating = new Uint32Array(capacity);
  }
}

/** Two tickets with the same rating and id hash (about one pair in 4 billion): order by id. */
function breakHashTies(tickets: readonly Ticket[], ratings: Float64Array, hashes: Uint32Array, order: Uint32Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const e = order[i]!;
    let j = i - 1;
    for (; j >= 0; j--) {
      const f = order[j]!;
      if (hashes[f] !== hashes[e] || ratings[f] !== ratings[e]) break;
      if (tickets[f]!.ticketId <= tickets[e]!.ticketId) break;
      order[j + 1] = f;
    }
    order[j + 1] = e;
  }
}
