/**
 * Stable LSD radix sort of index permutations by keys made of 32-bit words, for the per-tick
 * orders. A tick orders the whole pool twice; a comparison sort over objects is far over the
 * tick budget at 100k tickets, while counting passes over typed arrays are a small part of it
 * (docs/matching.md, "Cost"). Each word is three 11-bit digits, so the histograms stay in L1, and a
 * digit shared by every element costs no pass: integer ratings skip their low word, a burst
 * with one arrival time skips the whole wait sort.
 */

const BUCKETS = 0x800;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint32Array(new Float64Array([1]).buffer)[1] === 0 ? 0 : 1; // endianness

/** Writes the order-preserving (hi, lo) words of `value` (not NaN) at `i`. */
export function float64Key(value: number, i: number, hi: Uint32Array, lo: Uint32Array): void {
  f64[0] = value === 0 ? 0 : value; // -0 equals 0, so it must tie with it
  const h = u32[HI]!;
  const l = u32[1 - HI]!;
  // Negative numbers: flip every bit (larger magnitude sorts first); others: set the sign bit.
  if (h & 0x80000000) {
    hi[i] = ~h >>> 0;
    lo[i] = ~l >>> 0;
  } else {
    hi[i] = (h | 0x80000000) >>> 0;
    lo[i] = l;
  }
}

export class RadixSorter {
  private readonly counts = new Uint32Array(3 * BUCKETS);
  private spare = new Uint32Array(0);

  /** Sorts perm[0..n) stably by (words[0][e], words[1][e], …) of each element e. */
  sort(perm: Uint32Array, n: number, words: readonly Uint32Array[]): void {
    if (n < 2) return;
    if (this.spare.length < n) this.spare = new Uint32Array(Math.max(n, this.spare.length * 2));
    for (let w = words.length - 1; w >= 0; w--) this.sortByWord(perm, n, words[w]!);
  }

  private sortByWord(perm: Uint32Array, n: number, key: Uint32Array): void {
    const counts = this.counts;
    counts.fill(0);
    for (let e = 0; e < n; e++) {
      const k = key[e]!;
      counts[k & 0x7ff]!++;
      counts[BUCKETS + ((k >>> 11) & 0x7ff)]!++;
      counts[2 * BUCKETS + (k >>> 22)]!++;
    }
    let src: Uint32Array = perm;
    let dst: Uint32Array = this.spare;
    for (let d = 0; d < 3; d++) {
      const shift = 11 * d;
      const base = d * BUCKETS;
      if (counts[base + ((key[0]! >>> shift) & 0x7ff)] === n) continue; // one digit for all
      let offset = 0;
      for (let b = 0; b < BUCKETS; b++) {
        const c = counts[base + b]!;
        counts[base + b] = offset;
        offset += c;
      }
      for (let i = 0; i < n; i++) {
        const e = src[i]!;
        dst[counts[base + ((key[e]! >>> shift) & 0x7ff)]!++] = e;
      }
      const t = src;
      src = dst;
      dst = t;
    }
    if (src !== perm) perm.set(src.subarray(0, n));
  }
}
