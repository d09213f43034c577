/**
 * Forming rooms in a pool that holds party tickets (contract v1.1, "Parties"). A pool with no
 * party ticket never comes here: it runs RoomFormer (core/form-rooms.ts) exactly as before.
 *
 * A party ticket is one indivisible ticket of size 1 … party.maxSize at the party's rating, with
 * its own wait. A room is a set of tickets whose sizes add up to T × S and can be seated in T
 * teams of S with every party whole (SeatPlans, core/party-teams.ts); the rule is the solo one
 * over ticket ratings: spread ≤ the window of every ticket in the room.
 *
 * The search around an anchor is exact over its candidates: the free tickets in rating order,
 * nearest first on each side, whose own window covers their distance to the anchor. Every
 * interval [low, high] around the anchor is a possible span; its room is possible when the
 * tickets inside whose window covers the span contain a seat plan that uses the anchor. The
 * optimum's own span is such an interval, so the smallest possible interval is the optimum
 * spread. Inside it, per size, the tickets nearest the anchor are taken.
 *
 * A tick, the solo tick's passes where they carry over:
 *   1. Priority: tickets that waited `priorityAfter` of maxWaitSeconds, oldest first, take the
 *      closest allowed room around them.
 *   2. Bulk: up the rating scale, each free ticket takes the closest allowed room with it as its
 *      lowest member (with solo tickets only: the run of k consecutive players, as the solo
 *      bulk pass).
 *   3. Expire what is left and waited maxWaitSeconds.
 * The holds, the overlap choice and the skip pass of the solo path are not used here (yet).
 * The walk is bounded like RoomSearch's (sideCap candidates a side, MAX_STEPS nodes), so a
 * tick is O(n) past the sort; the bound is wide enough that pools of up to sideCap tickets
 * are searched whole, which the property tests rely on.
 */
import { DEFAULT_POLICY, EXPIRED, KEPT, MATCHED, type FormingPolicy, type TickOutcome } from './forming-policy.js';
import { FormedRooms } from './formed-rooms.js';
import { partyRule, ticketSize } from './party.js';
import { balancePartyTeams, SeatPlans } from './party-teams.js';
import { roomSize, windowAt } from './rule.js';
import type { FormedRoom, ModeRule, Ticket } from './types.js';

const MAX_STEPS = 512;

export class PartyRoomFormer {
  private readonly rule: ModeRule;
  private readonly policy: FormingPolicy;
  private readonly k: number;
  private readonly maxSize: number;
  private readonly seats: SeatPlans;
  private readonly sideCap: number;
  /** The room found by the last successful find(): rating positions, and how many. */
  private readonly members: Int32Array;
  private count = 0;
  // Candidates per side, nearest first: rating position.
  private readonly lPos: Int32Array;
  private readonly rPos: Int32Array;
  private readonly available: Int32Array;
  // Per rating position, set at each run.
  private rating = new Float64Array(0);
  private window = new Float64Array(0);
  private size = new Int32Array(0);
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  private byRating = new Int32Array(0);
  private fate = new Uint8Array(0);
  private head = 0;

  constructor(rule: ModeRule, policy: FormingPolicy = DEFAULT_POLICY) {
    this.rule = rule;
    this.policy = policy;
    this.k = roomSize(rule);
    this.maxSize = partyRule(rule).maxSize;
    this.seats = new SeatPlans(rule.teams, rule.teamSize, this.maxSize);
    this.sideCap = 4 * this.k + 16;
    this.members = new Int32Array(this.k);
    this.lPos = new Int32Array(this.sideCap);
    this.rPos = new Int32Array(this.sideCap);
    this.available = new Int32Array(this.maxSize + 1);
  }

  run(tickets: readonly Ticket[], n: number, now: number): TickOutcome {
    this.reserve(n);
    const { rule, rating, window, size, prev, next, fate } = this;
    const ids = (i: number) => tickets[i]!.ticketId;
    const byId = (a: number, b: number) => (ids(a) < ids(b) ? -1 : ids(a) > ids(b) ? 1 : 0);
    const byRating = Int32Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => tickets[a]!.rating - tickets[b]!.rating || tickets[a]!.joinedAt - tickets[b]!.joinedAt || byId(a, b),
    );
    const byWait = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => tickets[a]!.joinedAt - tickets[b]!.joinedAt || byId(a, b));
    const positionOf = new Int32Array(n);
    this.byRating = byRating;
    for (let p = 0; p < n; p++) {
      const ticket = tickets[byRating[p]!]!;
      rating[p] = ticket.rating;
      window[p] = windowAt(rule, now - ticket.joinedAt);
      size[p] = ticketSize(ticket);
      prev[p] = p - 1;
      next[p] = p + 1;
      positionOf[byRating[p]!] = p;
    }
    this.head = 0;
    fate.fill(KEPT, 0, n);
    const rooms: FormedRoom[] = [];

    const priorityWaitMs = this.policy.priorityAfter * rule.maxWaitSeconds * 1000;
    for (let q = 0; q < n; q++) {
      const anchor = byWait[q]!;
      if (now - tickets[anchor]!.joinedAt < priorityWaitMs) break; // the rest waited less
      if (fate[anchor] === KEPT && this.find(positionOf[anchor]!, true, n)) rooms.push(this.form(tickets, n));
    }
    for (let p = this.head; p < n; ) {
      const above = next[p]!;
      if (this.find(p, false, n)) rooms.push(this.form(tickets, n));
      p = above;
      while (p < n && fate[byRating[p]!] !== KEPT) p = next[p]!;
    }

    const expired: Ticket[] = [];
    const maxWaitMs = rule.maxWaitSeconds * 1000;
    for (let q = 0; q < n; q++) {
      const i = byWait[q]!;
      if (now - tickets[i]!.joinedAt < maxWaitMs) break;
      if (fate[i] !== KEPT) continue;
      fate[i] = EXPIRED;
      expired.push(tickets[i]!);
    }
    return { rooms: FormedRooms.of(rooms, this.k), expired, fate };
  }

  /**
   * The closest allowed room with the ticket at position p (with `below` false: p is its lowest
   * member), into members; false when there is none among the candidates.
   */
  private find(p: number, below: boolean, n: number): boolean {
    const { rating, window, size, prev, next, lPos, rPos, available, seats } = this;
    const ra = rating[p]!;
    const wa = window[p]!;
    const sa = size[p]!;
    let nl = 0;
    let nr = 0;
    for (let x = below ? prev[p]! : -1, steps = 0; x >= 0 && nl < this.sideCap && steps < MAX_STEPS && ra - rating[x]! <= wa; x = prev[x]!, steps++) {
      if (window[x]! >= ra - rating[x]!) lPos[nl++] = x;
    }
    for (let x = next[p]!, steps = 0; x < n && nr < this.sideCap && steps < MAX_STEPS && rating[x]! - ra <= wa; x = next[x]!, steps++) {
      if (window[x]! >= rating[x]! - ra) rPos[nr++] = x;
    }
    let bestSpread = Infinity;
    let bestPlan: Int32Array | null = null;
    let bestI = 0;
    let bestJ = 0;
    for (let i = 0; i <= nl; i++) {
      const low = i > 0 ? rating[lPos[i - 1]!]! : ra;
      for (let j = 0; j <= nr; j++) {
        const high = j > 0 ? rating[rPos[j - 1]!]! : ra;
        const spread = high - low;
        // Spans only widen with j: past the anchor's window, the best so far, or the low end's window, nothing more here.
        if (spread > wa || spread >= bestSpread || (i > 0 && window[lPos[i - 1]!]! < spread)) break;
        if (j > 0 && window[rPos[j - 1]!]! < spread) continue; // a narrower span holds the same room
        available.fill(0);
        available[sa]!++;
        for (let m = 0; m < i; m++) if (window[lPos[m]!]! >= spread) available[size[lPos[m]!]!]!++;
        for (let m = 0; m < j; m++) if (window[rPos[m]!]! >= spread) available[size[rPos[m]!]!]!++;
        const plan = seats.first(available, sa);
        if (!plan) continue;
        bestSpread = spread;
        bestPlan = plan;
        bestI = i;
        bestJ = j;
        break;
      }
    }
    if (!bestPlan) return false;
    // Per size, the eligible tickets nearest the anchor; the anchor first.
    const need = available;
    for (let s = 1; s <= this.maxSize; s++) need[s] = bestPlan[s]!;
    need[sa]!--;
    let count = 0;
    this.members[count++] = p;
    for (let l = 0, r = 0; l < bestI || r < bestJ; ) {
      const takeLeft = r >= bestJ || (l < bestI && ra - rating[lPos[l]!]! <= rating[rPos[r]!]! - ra);
      const x = takeLeft ? lPos[l++]! : rPos[r++]!;
      if (window[x]! >= bestSpread && need[size[x]!]! > 0) {
        need[size[x]!]!--;
        this.members[count++] = x;
      }
    }
    this.count = count;
    return true;
  }

  /** Builds the room of `members` with its teams, and takes its tickets out. */
  private form(tickets: readonly Ticket[], n: number): FormedRoom {
    const { rule, rating, size, fate, byRating } = this;
    const chosen = Array.from(this.members.subarray(0, this.count)).sort((a, b) => b - a); // rating descending
    for (const x of chosen) {
      fate[byRating[x]!] = MATCHED;
      this.unlink(x, n);
    }
    const { teamOf, imbalance } = balancePartyTeams(
      chosen.map((x) => size[x]!),
      chosen.map((x) => rating[x]!),
      rule.teams,
      rule.teamSize,
    );
    const order = chosen.map((_, j) => j).sort((a, b) => teamOf[a]! - teamOf[b]! || a - b);
    return {
      tickets: order.map((j) => tickets[byRating[chosen[j]!]!]!),
      teams: order.map((j) => teamOf[j]!),
      spread: rating[chosen[0]!]! - rating[chosen[chosen.length - 1]!]!,
      imbalance,
    };
  }

  private unlink(p: number, n: number): void {
    const { prev, next } = this;
    if (p === this.head) this.head = next[p]!;
    if (prev[p]! >= 0) next[prev[p]!] = next[p]!;
    if (next[p]! < n) prev[next[p]!] = prev[p]!;
  }

  private reserve(n: number): void {
    if (this.rating.length >= n) return;
    const capacity = Math.max(n, this.rating.length * 2);
    this.rating = new Float64Array(capacity);
    this.window = new Float64Array(capacity);
    this.size = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    this.fate = new Uint8Array(capacity);
  }
}
