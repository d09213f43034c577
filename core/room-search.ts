/**
 * The best room around one anchor ticket: the k-player room containing it with the smallest
 * spread that the rule allows (spread ≤ the window of every member), or none; and, for an
 * anchor with none, the players closest to fitting one with it (whom the caller may hold).
 *
 * Tickets live in rating order in a doubly linked list of the ones still free this tick. The
 * search walks outward from the anchor, nearest rating first, and keeps only candidates whose
 * own window covers their distance to the anchor (no room could hold the others). It stops
 * once the next distance cannot beat the best spread found, or exceeds the anchor's window.
 *
 * Scoring a candidate set is exact: if the nearest k-1 already fit every member's window
 * (the usual case), that is the minimum. Otherwise each candidate window t is tried as the
 * room's smallest window: among candidates with window ≥ t the best room is the nearest i on
 * the left and k-1-i on the right, valid when its spread ≤ t. The optimum's own smallest
 * window is among the t tried, so the minimum over valid t is the optimum.
 *
 * The walk is bounded (sideCap candidates per side, MAX_STEPS nodes) so one anchor deep in a
 * crowd of fresh tickets with tiny windows cannot cost more than a constant; such an anchor
 * may then miss a room for a tick, until the crowd's windows grow or it is matched.
 */

const MAX_STEPS = 512;

export class RoomSearch {
  /** Rating positions of the room found by the last successful find(), ascending rating. */
  readonly members: Int32Array;
  private readonly k: number;
  private readonly sideCap: number;
  // Candidates per side in walk order (nearest first): rating position, rating, window.
  private readonly lPos: Int32Array;
  private readonly lRat: Float64Array;
  private readonly lWin: Float64Array;
  private readonly rPos: Int32Array;
  private readonly rRat: Float64Array;
  private readonly rWin: Float64Array;
  private nl = 0;
  private nr = 0;
  // Eligible candidates under one threshold (indices into the side arrays).
  private readonly lPick: Int32Array;
  private readonly rPick: Int32Array;
  // Best room so far: its spread, threshold and number of left members.
  private bestSpread = Infinity;
  private bestT = -Infinity;
  private bestLeft = 0;

  constructor(roomSize: number) {
    this.k = roomSize;
    this.sideCap = 2 * roomSize + 8;
    this.members = new Int32Array(roomSize);
    this.lPos = new Int32Array(this.sideCap);
    this.lRat = new Float64Array(this.sideCap);
    this.lWin = new Float64Array(this.sideCap);
    this.rPos = new Int32Array(this.sideCap);
    this.rRat = new Float64Array(this.sideCap);
    this.rWin = new Float64Array(this.sideCap);
    this.lPick = new Int32Array(roomSize);
    this.rPick = new Int32Array(roomSize);
  }

  /**
   * Looks for the best room around position `p`. `rating` and `window` are indexed by rating
   * position; `prev` / `next` link the free positions (-1 and `n` end the list).
   */
  find(p: number, rating: Float64Array, window: Float64Array, prev: Int32Array, next: Int32Array, n: number): boolean {
    const k = this.k;
    const ra = rating[p]!;
    const wa = window[p]!;
    this.nl = 0;
    this.nr = 0;
    this.bestSpread = Infinity;
    if (k === 1) {
      this.members[0] = p;
      return true;
    }
    let left = prev[p]!;
    let right = next[p]!;
    for (let steps = 0; steps < MAX_STEPS; steps++) {
      const dl = left >= 0 && this.nl < this.sideCap ? ra - rating[left]! : Infinity;
      const dr = right < n && this.nr < this.sideCap ? rating[right]! - ra : Infinity;
      const d = dl <= dr ? dl : dr;
      if (d > wa || d >= this.bestSpread) break;
      let added = false;
      if (dl <= dr) {
        if (window[left]! >= d) {
          this.lPos[this.nl] = left;
          this.lRat[this.nl] = rating[left]!;
          this.lWin[this.nl++] = window[left]!;
          added = true;
        }
        left = prev[left]!;
      } else {
        if (window[right]! >= d) {
          this.rPos[this.nr] = right;
          this.rRat[this.nr] = rating[right]!;
          this.rWin[this.nr++] = window[right]!;
          added = true;
        }
        right = next[right]!;
      }
      if (added && this.nl + this.nr >= k - 1) this.score(ra, wa);
    }
    if (this.bestSpread === Infinity) return false;
    this.collect(p);
    return true;
  }

  /**
   * The k-1 free tickets around p closest to fitting a room with it: most slack (window minus
   * distance to p) first, among the nearest on each side. Into `members`; returns how many.
   * Slack grows with wait, so the same players are chosen tick after tick until they fit.
   */
  closest(p: number, rating: Float64Array, window: Float64Array, prev: Int32Array, next: Int32Array, n: number): number {
    const ra = rating[p]!;
    const cap = this.sideCap;
    let m = 0;
    for (let left = prev[p]!, c = 0; left >= 0 && c < cap; left = prev[left]!, c++) {
      this.lPos[m] = left;
      this.lWin[m++] = window[left]! - (ra - rating[left]!);
    }
    const nl = m;
    for (let right = next[p]!, c = 0; right < n && c < cap; right = next[right]!, c++) {
      this.rPos[m - nl] = right;
      this.rWin[m++ - nl] = window[right]! - (rating[right]! - ra);
    }
    const want = Math.min(this.k - 1, m);
    const slack = (j: number) => (j < nl ? this.lWin[j]! : this.rWin[j - nl]!);
    const pos = (j: number) => (j < nl ? this.lPos[j]! : this.rPos[j - nl]!);
    const used = this.rPick; // scratch of length k: indices already chosen
    for (let c = 0; c < want; c++) {
      let best = -1;
      for (let j = 0; j < m; j++) {
        let taken = false;
        for (let u = 0; u < c; u++) taken ||= used[u] === j;
        if (!taken && (best < 0 || slack(j) > slack(best))) best = j;
      }
      used[c] = best;
      this.members[c] = pos(best);
    }
    return want;
  }

  /** Updates the best room with the current candidates. */
  private score(ra: number, wa: number): void {
    // Unconstrained nearest room first: when it fits every window, nothing can beat it.
    const free = this.spreadAt(-Infinity, ra);
    const floor = free.spread;
    if (floor >= this.bestSpread) return;
    if (floor <= Math.min(wa, free.minWindow)) {
      this.keep(floor, -Infinity, free.left);
      return;
    }
    for (let side = 0; side < 2; side++) {
      const wins = side === 0 ? this.lWin : this.rWin;
      const count = side === 0 ? this.nl : this.nr;
      for (let c = 0; c < count; c++) {
        const t = wins[c]!;
        if (t < floor) continue; // every room has spread ≥ floor > t
        const room = this.spreadAt(t, ra);
        if (room.spread <= Math.min(t, wa) && room.spread < this.bestSpread) this.keep(room.spread, t, room.left);
      }
    }
  }

  private keep(spread: number, t: number, left: number): void {
    this.bestSpread = spread;
    this.bestT = t;
    this.bestLeft = left;
  }

  private readonly result = { spread: Infinity, left: 0, minWindow: Infinity };

  /** The smallest-spread room among candidates with window ≥ t (nearest on each side). Reuses one result object. */
  private spreadAt(t: number, ra: number): { spread: number; left: number; minWindow: number } {
    const need = this.k - 1;
    const nl = this.pick(this.lWin, this.nl, t, this.lPick, need);
    const nr = this.pick(this.rWin, this.nr, t, this.rPick, need);
    const out = this.result;
    out.spread = Infinity;
    for (let x = Math.max(0, need - nr); x <= Math.min(need, nl); x++) {
      const low = x > 0 ? this.lRat[this.lPick[x - 1]!]! : ra;
      const high = need - x > 0 ? this.rRat[this.rPick[need - x - 1]!]! : ra;
      if (high - low < out.spread) {
        out.spread = high - low;
        out.left = x;
      }
    }
    if (out.spread === Infinity) return out;
    let minWindow = Infinity;
    for (let i = 0; i < out.left; i++) minWindow = Math.min(minWindow, this.lWin[this.lPick[i]!]!);
    for (let i = 0; i < need - out.left; i++) minWindow = Math.min(minWindow, this.rWin[this.rPick[i]!]!);
    out.minWindow = minWindow;
    return out;
  }

  /** The first `need` candidates of one side with window ≥ t, into `into`; returns how many. */
  private pick(wins: Float64Array, count: number, t: number, into: Int32Array, need: number): number {
    let m = 0;
    for (let c = 0; c < count && m < need; c++) if (wins[c]! >= t) into[m++] = c;
    return m;
  }

  /** Writes the best room's positions into `members`, ascending rating. */
  private collect(p: number): void {
    const need = this.k - 1;
    const x = this.bestLeft;
    this.pick(this.lWin, this.nl, this.bestT, this.lPick, need);
    this.pick(this.rWin, this.nr, this.bestT, this.rPick, need);
    let m = 0;
    for (let i = x - 1; i >= 0; i--) this.members[m++] = this.lPos[this.lPick[i]!]!;
    this.members[m++] = p;
    for (let i = 0; i < need - x; i++) this.members[m++] = this.rPos[this.rPick[i]!]!;
  }
}
