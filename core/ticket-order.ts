/**
 * The two orders a tick works in, both total and independent of the order tickets were added:
 *  - by rating: rating ascending, ties by joinedAt (the longer-waiting first, as the baseline
 *    orders them), then by a 32-bit hash of ticketId, then by ticketId itself. The hash stands
 *    in for the id so the sorts stay on typed arrays; it is still a function of the id alone,
 *    so redelivered or reordered messages give the same rooms. Older first among equal ratings
 *    matters: a run's spread is the same either way, but the older player's wider window makes
 *    the run allowed sooner (hash order instead cost p95 wait and matches on the dense bench
 *    traces: docs/matching.md, "One tick").
 *  - by wait: joinedAt ascending, ties by the rating order. Tickets that arrived together
 *    (a burst) are then served as a sweep up the rating scale, which packs them into rooms of
 *    neighbours and walks memory in order, instead of a random scatter.
 *
 * Keys. Integer ratings within a range of 2^21 (every real rating scale) sort by their offset
 * from the lowest, one 32-bit word; integer arrival times within 2^32 ms (49 days) likewise.
 * When every ticket arrived at the same time (a burst) the rating offset and the top bits of
 * the hash share one word of at most 22 bits: two counting passes, after which ties on those
 * bits (a few per thousand tickets) are put in full (hash, id) order by insertion. Anything
 * else (fractional ratings, huge ranges) sorts on the order-preserving words of the float64s.
 */
import type { Ticket } from './types.js';
import { float64Key, RadixSorter } from './radix-sort.js';

/** FNV-1a over the UTF-16 code units of the id. */
export function ticketIdHash(ticketId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < ticketId.length; i++) {
    h ^= ticketId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Integer offsets below this fit one word with room for no hash bits at worst. */
const SMALL_RANGE = 2 ** 21;
/** Bits of the one-word burst key: two 11-bit counting passes. */
const BURST_KEY_BITS = 22;
const BURST_BUCKETS = 0x800;
const BURST_MASK = 0x7ff;

/** Reusable buffers for ordering up to `capacity` tickets; one per pool, so ticks allocate nothing. */
export class TicketOrderer {
  private readonly sorter = new RadixSorter();
  private hi = new Uint32Array(0);
  private lo = new Uint32Array(0);
  private waitHi = new Uint32Array(0);
  private waitLo = new Uint32Array(0);
  byWait = new Uint32Array(0);
  byRating = new Uint32Array(0);
  /** ratings[byRating[p]] at p: what the tick reads in rating order, so it reads it in sequence. */
  ratingByRank = new Float64Array(0);
  /** Whether every ticket has the same joinedAt (a burst). */
  oneArrival = false;

  /**
   * Fills byRating[0..n) and byWait[0..n) with ticket indices, and ratingByRank[0..n).
   * `ratings`, `joinedAt` and `hashes` are per index; `tickets` is read only to break full
   * hash ties.
   */
  order(tickets: readonly Ticket[], ratings: Float64Array, joinedAt: Float64Array, hashes: Uint32Array, n: number): void {
    this.reserve(n);
    const { hi, lo, waitHi, waitLo, byWait, byRating, ratingByRank, sorter } = this;
    let minR = Infinity;
    let maxR = -Infinity;
    let minJ = Infinity;
    let maxJ = -Infinity;
    let integers = true;
    for (let i = 0; i < n; i++) {
      const r = ratings[i]!;
      const j = joinedAt[i]!;
      if (r < minR) minR = r;
      if (r > maxR) maxR = r;
      if (j < minJ) minJ = j;
      if (j > maxJ) maxJ = j;
      integers &&= Number.isInteger(r) && Number.isInteger(j);
      byRating[i] = i;
    }
    this.oneArrival = minJ === maxJ;
    if (n > 0 && integers && maxR - minR < SMALL_RANGE && maxJ - minJ < 2 ** 32) {
      if (maxJ === minJ) {
        // A burst: one word of rating offset and top hash bits, then exact ties by insertion.
        const hashBits = Math.max(0, BURST_KEY_BITS - bitLength(maxR - minR));
        // Scale and shift hoisted: `2 ** hashBits` inside the loop is a Math.pow call per
        // ticket, most of the loop's time (docs/matching.md, "Cost").
        const scale = 2 ** hashBits;
        const shift = 32 - hashBits;
        if (hashBits === 0) for (let i = 0; i < n; i++) hi[i] = ratings[i]! - minR;
        else for (let i = 0; i < n; i++) hi[i] = (ratings[i]! - minR) * scale + (hashes[i]! >>> shift);
        this.sortBurst(tickets, hashes, n);
        byWait.set(byRating.subarray(0, n));
        // The sorted keys hold the ratings: read in sequence, not gathered through byRating
        // (a cache miss per ticket; docs/matching.md, "Cost"). -0 and 0 share a key, so a
        // zero is read from the ticket's own rating to keep its sign.
        for (let p = 0; p < n; p++) {
          const r = minR + (hi[p]! >>> hashBits);
          ratingByRank[p] = r === 0 ? ratings[byRating[p]!]! : r;
        }
        return;
      } else {
        for (let i = 0; i < n; i++) {
          hi[i] = ratings[i]! - minR;
          waitHi[i] = joinedAt[i]! - minJ;
        }
        sorter.sort(byRating, n, [hi, waitHi, hashes]);
      }
    } else {
      for (let i = 0; i < n; i++) {
        float64Key(ratings[i]!, i, hi, lo);
        float64Key(joinedAt[i]!, i, waitHi, waitLo);
      }
      sorter.sort(byRating, n, [hi, lo, waitHi, waitLo, hashes]);
    }
    settleTies(tickets, ratings, joinedAt, hashes, byRating, n);
    for (let p = 0; p < n; p++) ratingByRank[p] = ratings[byRating[p]!]!;
    byWait.set(byRating.subarray(0, n));
    if (minJ === maxJ) return; // one arrival time: the rating order is the wait order
    for (let i = 0; i < n; i++) float64Key(joinedAt[i]!, i, waitHi, waitLo);
    sorter.sort(byWait, n, [waitHi, waitLo]);
  }

  /**
   * byRating by the one-word keys in `hi` (indices already in byRating): two 11-bit counting
   * passes that move each key with its index, so every read is sequential; then the few runs
   * of equal keys are put in full order.
   */
  private sortBurst(tickets: readonly Ticket[], hashes: Uint32Array, n: number): void {
    const { hi, lo, waitLo, byRating } = this;
    const counts = new Uint32Array(2 * BURST_BUCKETS);
    for (let i = 0; i < n; i++) {
      const key = hi[i]!;
      counts[key & BURST_MASK]!++;
      counts[BURST_BUCKETS + (key >>> 11)]!++;
    }
    for (let d = 0; d < 2; d++) {
      let offset = 0;
      for (let b = d * BURST_BUCKETS; b < (d + 1) * BURST_BUCKETS; b++) {
        const c = counts[b]!;
        counts[b] = offset;
        offset += c;
      }
    }
    // hi/byRating → lo/waitLo by the low digit, then back by the high digit (stable).
    for (let i = 0; i < n; i++) {
      const key = hi[i]!;
      const at = counts[key & BURST_MASK]!++;
      lo[at] = key;
      waitLo[at] = byRating[i]!;
    }
    for (let i = 0; i < n; i++) {
      const key = lo[i]!;
      const at = counts[BURST_BUCKETS + (key >>> 11)]!++;
      hi[at] = key;
      byRating[at] = waitLo[i]!;
    }
    // Equal keys: same rating, same top hash bits; order them by the whole hash, then id.
    for (let i = 1; i < n; i++) {
      const key = hi[i]!;
      if (key !== hi[i - 1]) continue;
      const e = byRating[i]!;
      let j = i - 1;
      for (; j >= 0 && hi[j] === key; j--) {
        const f = byRating[j]!;
        if (hashes[f]! < hashes[e]! || (hashes[f] === hashes[e] && tickets[f]!.ticketId <= tickets[e]!.ticketId)) break;
        byRating[j + 1] = f;
      }
      byRating[j + 1] = e;
    }
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
    this.ratingByRank = new Float64Array(capacity);
  }
}

function bitLength(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

/**
 * Insertion sort of `order`, already sorted by rating and joinedAt, into full (rating,
 * joinedAt, hash, id) order: moves only tickets that tie on rating and joinedAt and are out
 * of hash order (after a sort on part of the hash), or tie on the whole hash (about one pair
 * in 4 billion).
 */
function settleTies(tickets: readonly Ticket[], ratings: Float64Array, joinedAt: Float64Array, hashes: Uint32Array, order: Uint32Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const e = order[i]!;
    let j = i - 1;
    for (; j >= 0; j--) {
      const f = order[j]!;
      if (ratings[f] !== ratings[e] || joinedAt[f] !== joinedAt[e]) break;
      if (hashes[f]! < hashes[e]!) break;
      if (hashes[f] === hashes[e] && tickets[f]!.ticketId <= tickets[e]!.ticketId) break;
      order[j + 1] = f;
    }
    order[j + 1] = e;
  }
}
