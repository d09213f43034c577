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
import { partyRule } from './party.js';
import { TicketOrderer } from './ticket-order.js';
import { balancePartyTeams, SeatPlans } from './party-teams.js';
import { roomSize, windowAt } from './rule.js';
import type { ModeRule, Ticket } from './types.js';

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
  private positionOf = new Int32Array(0);
  private byRating = new Uint32Array(0);
  private fate = new Uint8Array(0);
  private head = 0;
  private readonly orderer = new TicketOrderer();
  private readonly out = new PartyRoomBuffer();

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

  /**
   * `ratingOf`, `joinedAtOf`, `hashes` and `sizeOf` per ticket index, as the pool keeps them (the
   * same order as the solo tick: rating, longer wait first, id hash, id).
   */
  run(
    tickets: readonly Ticket[],
    ratingOf: Float64Array,
    joinedAtOf: Float64Array,
    hashes: Uint32Array,
    sizeOf: Uint8Array,
    n: number,
    now: number,
  ): TickOutcome {
    this.reserve(n);
    this.orderer.order(tickets, ratingOf, joinedAtOf, hashes, n);
    const { byWait, byRating, ratingByRank, oneArrival } = this.orderer;
    const { rule, window, size, prev, next, fate, positionOf } = this;
    this.rating = ratingByRank;
    this.byRating = byRating;
    if (oneArrival) window.fill(windowAt(rule, now - joinedAtOf[0]!), 0, n);
    for (let p = 0; p < n; p++) {
      const i = byRating[p]!;
      if (!oneArrival) window[p] = windowAt(rule, now - joinedAtOf[i]!);
      size[p] = sizeOf[i]!;
      prev[p] = p - 1;
      next[p] = p + 1;
      positionOf[i] = p;
    }
    this.head = 0;
    fate.fill(KEPT, 0, n);
    this.out.reset();

    const priorityWaitMs = this.policy.priorityAfter * rule.maxWaitSeconds * 1000;
    for (let q = 0; q < n; q++) {
      const anchor = byWait[q]!;
      if (now - joinedAtOf[anchor]! < priorityWaitMs) break; // the rest waited less
      if (fate[anchor] === KEPT && this.find(positionOf[anchor]!, true, n)) this.form(tickets, n);
    }
    for (let p = this.head; p < n;) {
      const above = next[p]!;
      if (this.find(p, false, n)) this.form(tickets, n);
      p = above;
      while (p < n && fate[byRating[p]!] !== KEPT) p = next[p]!;
    }

    const expired: Ticket[] = [];
    const maxWaitMs = rule.maxWaitSeconds * 1000;
    for (let q = 0; q < n; q++) {
      const i = byWait[q]!;
      if (now - joinedAtOf[i]! < maxWaitMs) break;
      if (fate[i] !== KEPT) continue;
      fate[i] = EXPIRED;
      expired.push(tickets[i]!);
    }
    return { rooms: this.out.finish(this.k, rule.teams), expired, fate };
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
    for (let l = 0, r = 0; l < bestI || r < bestJ;) {
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

  /** Writes the room of `members` with its teams (by team, then rating descending), and takes its tickets out. */
  private form(tickets: readonly Ticket[], n: number): void {
    const { rule, rating, size, fate, byRating, out } = this;
    const chosen = this.members.subarray(0, this.count).sort().reverse(); // rating positions, descending
    for (let j = 0; j < chosen.length; j++) {
      fate[byRating[chosen[j]!]!] = MATCHED;
      this.unlink(chosen[j]!, n);
    }
    const spread = rating[chosen[0]!]! - rating[chosen[chosen.length - 1]!]!;
    if (rule.teams === 1) {
      out.open(spread, 0);
      for (let j = 0; j < chosen.length; j++) out.push(tickets[byRating[chosen[j]!]!]!, 0);
      return;
    }
    const sizes: number[] = [];
    const ratings: number[] = [];
    for (let j = 0; j < chosen.length; j++) {
      sizes.push(size[chosen[j]!]!);
      ratings.push(rating[chosen[j]!]!);
    }
    const { teamOf, imbalance } = balancePartyTeams(sizes, ratings, rule.teams, rule.teamSize);
    out.open(spread, imbalance);
    for (let team = 0; team < rule.teams; team++) {
      for (let j = 0; j < chosen.length; j++) if (teamOf[j] === team) out.push(tickets[byRating[chosen[j]!]!]!, team);
    }
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
    this.window = new Float64Array(capacity);
    this.positionOf = new Int32Array(capacity);
    this.size = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    this.fate = new Uint8Array(capacity);
  }
}

/** A tick's rooms of varying ticket counts, appended as they form and copied out once. */
class PartyRoomBuffer {
  private tickets: Ticket[] = [];
  private teamOf: number[] = [];
  private spreads: number[] = [];
  private imbalances: number[] = [];
  private starts: number[] = [];

  reset(): void {
    this.tickets = [];
    this.teamOf = [];
    this.spreads = [];
    this.imbalances = [];
    this.starts = [];
  }

  open(spread: number, imbalance: number): void {
    this.starts.push(this.tickets.length);
    this.spreads.push(spread);
    this.imbalances.push(imbalance);
  }

  push(ticket: Ticket, team: number): void {
    this.tickets.push(ticket);
    this.teamOf.push(team);
  }

  finish(roomSize: number, teams: number): FormedRooms {
    this.starts.push(this.tickets.length);
    const many = teams > 1;
    return new FormedRooms(
      roomSize,
      this.tickets,
      Float64Array.from(this.spreads),
      many ? Int32Array.from(this.teamOf) : null,
      many ? Float64Array.from(this.imbalances) : null,
      Int32Array.from(this.starts),
    );
  }
}
