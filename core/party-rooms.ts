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
import { PartyTeamSplitter, SeatPlans } from './party-teams.js';
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
  // The candidate walks of the find() in progress: next position, nodes walked, candidates gathered.
  private lx = -1;
  private rx = 0;
  private lSteps = 0;
  private rSteps = 0;
  private nl = 0;
  private nr = 0;
  /** A room's tickets' sizes and ratings, for its split. */
  private readonly sizes: Int32Array;
  private readonly ratings: Float64Array;
  private readonly splitter: PartyTeamSplitter;
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
    this.sizes = new Int32Array(this.k);
    this.ratings = new Float64Array(this.k);
    this.splitter = new PartyTeamSplitter(rule.teams, rule.teamSize);
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
    }
    this.head = 0;
    fate.fill(KEPT, 0, n);
    this.out.reset(n);

    const priorityWaitMs = this.policy.priorityAfter * rule.maxWaitSeconds * 1000;
    // Rating positions by ticket, for the priority pass only: a tick where nobody waited that long (a burst) skips the scatter.
    if (n > 0 && now - joinedAtOf[byWait[0]!]! >= priorityWaitMs) for (let p = 0; p < n; p++) positionOf[byRating[p]!] = p;
    for (let q = 0; q < n; q++) {
      const anchor = byWait[q]!;
      if (now - joinedAtOf[anchor]! < priorityWaitMs) break; // the rest waited less
      if (fate[anchor] === KEPT && this.find(positionOf[anchor]!, true, n)) this.form(n);
    }
    for (let p = this.head; p < n;) {
      if (!this.findAbove(p, n)) {
        p = next[p]!;
        continue;
      }
      // p is the room's lowest member, so the free ticket below it stays free: the walk goes on from there.
      const below = prev[p]!;
      this.form(n);
      p = below >= 0 ? next[below]! : this.head;
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
    return { rooms: this.out.finish(tickets, this.k, rule.teams), expired, fate };
  }

  /**
   * The closest allowed room with the ticket at position p (with `below` false: p is its lowest
   * member), into members; false when there is none among the candidates.
   *
   * Candidates are gathered as the spans reach them, nearest first on each side (the same lists
   * a full walk would give), and the counts per size of a span are kept as it widens: a ticket
   * is added when the span reaches it, and the span's counts are taken again only when it
   * outgrows the window of a ticket counted (never in a burst, where every window is the same).
   * The seat plan of a span is a look-up of its counts' code (SeatPlans.firstAt).
   */
  private find(p: number, below: boolean, n: number): boolean {
    const { rating, window, size, lPos, rPos, available, seats, maxSize } = this;
    const { cap, stride } = seats;
    const ra = rating[p]!;
    const wa = window[p]!;
    const sa = size[p]!;
    this.nl = 0;
    this.nr = 0;
    this.lx = below ? this.prev[p]! : -1;
    this.rx = this.next[p]!;
    this.lSteps = 0;
    this.rSteps = 0;
    let bestSpread = Infinity;
    let bestPlan = -1;
    let bestI = 0;
    let bestJ = 0;
    for (let i = 0; ; i++) {
      if (i > this.nl && !this.gatherLeft(ra, wa)) break;
      const low = i > 0 ? rating[lPos[i - 1]!]! : ra;
      // Lower ends only go down: every span from here on is at least this wide.
      if (ra - low >= bestSpread) break;
      let spread = ra - low;
      let code = 0;
      let narrowest = wa; // the least window among the tickets counted
      for (let s = 0; s <= maxSize; s++) available[s] = 0;
      code += stride[sa]!;
      available[sa]!++;
      for (let m = 0; m < i; m++) {
        const x = lPos[m]!;
        if (window[x]! < spread) continue;
        if (available[size[x]!]!++ < cap[size[x]!]!) code += stride[size[x]!]!;
        if (window[x]! < narrowest) narrowest = window[x]!;
      }
      for (let j = 0; ; j++) {
        if (j > this.nr && !this.gatherRight(ra, wa, n)) break;
        const high = j > 0 ? rating[rPos[j - 1]!]! : ra;
        spread = high - low;
        // Spans only widen with j: past the anchor's window, the best so far, or the low end's window, nothing more here.
        if (spread > wa || spread >= bestSpread || (i > 0 && window[lPos[i - 1]!]! < spread)) break;
        if (spread > narrowest) {
          // A ticket counted no longer covers the span: count it again.
          narrowest = wa;
          for (let s = 0; s <= maxSize; s++) available[s] = 0;
          code = stride[sa]!;
          available[sa]!++;
          for (let m = 0; m < i + j - 1; m++) {
            const x = m < i ? lPos[m]! : rPos[m - i]!;
            if (window[x]! < spread) continue;
            if (available[size[x]!]!++ < cap[size[x]!]!) code += stride[size[x]!]!;
            if (window[x]! < narrowest) narrowest = window[x]!;
          }
        }
        if (j > 0) {
          const x = rPos[j - 1]!;
          // A narrower span holds the same room; its window stays below every wider span, so it is never counted.
          if (window[x]! < spread) continue;
          if (available[size[x]!]!++ < cap[size[x]!]!) code += stride[size[x]!]!;
          if (window[x]! < narrowest) narrowest = window[x]!;
        }
        const plan = seats.firstAt(available, sa, code);
        if (plan < 0) continue;
        bestSpread = spread;
        bestPlan = plan;
        bestI = i;
        bestJ = j;
        break;
      }
    }
    if (bestPlan < 0) return false;
    // Per size, the eligible tickets nearest the anchor; the anchor first.
    const need = available;
    const plan = seats.plans[bestPlan]!;
    for (let s = 0; s <= maxSize; s++) need[s] = plan[s]!;
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

  /**
   * find(p, false) where no ticket the walk reaches has a narrower window than p's (every one
   * in a burst, where all windows are the same; most in a pool where windows reached their
   * max): then every ticket within p's window above it is a candidate, every span holds all
   * the candidates up to its high end, and the closest room is the first prefix of the walk
   * that holds a seat plan, which one pass finds. The same room as find(); any other case
   * goes to find().
   */
  private findAbove(p: number, n: number): boolean {
    const { rating, window, size, next, rPos, available, seats, maxSize, members } = this;
    const { cap, stride } = seats;
    const ra = rating[p]!;
    const wa = window[p]!;
    const sa = size[p]!;
    if (wa < 0) return false; // a ticket from the future (clock skew) holds no room, even alone
    for (let s = 0; s <= maxSize; s++) available[s] = 0;
    available[sa] = 1;
    let code = stride[sa]!;
    let plan = seats.firstAt(available, sa, code);
    let nr = 0;
    // The walk's bounds are find()'s: every node walked is a candidate here, so sideCap binds before MAX_STEPS.
    for (let x = next[p]!; plan < 0; x = next[x]!) {
      if (x >= n || nr === this.sideCap || nr === MAX_STEPS || rating[x]! - ra > wa) return false;
      if (window[x]! < wa) return this.find(p, false, n);
      rPos[nr++] = x;
      const sx = size[x]!;
      if (available[sx]!++ < cap[sx]!) code += stride[sx]!;
      plan = seats.firstAt(available, sa, code);
    }
    // Per size, the candidates nearest p; p first.
    const need = available;
    const sizes = seats.plans[plan]!;
    for (let s = 0; s <= maxSize; s++) need[s] = sizes[s]!;
    need[sa]!--;
    let count = 0;
    members[count++] = p;
    for (let r = 0; r < nr; r++) {
      const x = rPos[r]!;
      if (need[size[x]!]! > 0) {
        need[size[x]!]!--;
        members[count++] = x;
      }
    }
    this.count = count;
    return true;
  }

  /** The next candidate below the anchor into lPos (one whose window covers its distance to it); false when the walk ends. */
  private gatherLeft(ra: number, wa: number): boolean {
    const { rating, window, prev } = this;
    while (this.lx >= 0 && this.nl < this.sideCap && this.lSteps < MAX_STEPS && ra - rating[this.lx]! <= wa) {
      const x = this.lx;
      this.lx = prev[x]!;
      this.lSteps++;
      if (window[x]! >= ra - rating[x]!) {
        this.lPos[this.nl++] = x;
        return true;
      }
    }
    return false;
  }

  /** The next candidate above the anchor into rPos; false when the walk ends. */
  private gatherRight(ra: number, wa: number, n: number): boolean {
    const { rating, window, next } = this;
    while (this.rx < n && this.nr < this.sideCap && this.rSteps < MAX_STEPS && rating[this.rx]! - ra <= wa) {
      const x = this.rx;
      this.rx = next[x]!;
      this.rSteps++;
      if (window[x]! >= rating[x]! - ra) {
        this.rPos[this.nr++] = x;
        return true;
      }
    }
    return false;
  }

  /** Writes the room of `members` with its teams (by team, then rating descending), and takes its tickets out. */
  private form(n: number): void {
    const { rule, rating, size, fate, byRating, out, members, count } = this;
    // Rating positions, descending (insertion: a room holds a few tickets).
    for (let j = 1; j < count; j++) {
      const x = members[j]!;
      let at = j;
      for (; at > 0 && members[at - 1]! < x; at--) members[at] = members[at - 1]!;
      members[at] = x;
    }
    for (let j = 0; j < count; j++) {
      fate[byRating[members[j]!]!] = MATCHED;
      this.unlink(members[j]!, n);
    }
    const spread = rating[members[0]!]! - rating[members[count - 1]!]!;
    if (rule.teams === 1) {
      out.open(spread, 0);
      for (let j = 0; j < count; j++) out.push(byRating[members[j]!]!, 0);
      return;
    }
    const { sizes, ratings, splitter } = this;
    for (let j = 0; j < count; j++) {
      sizes[j] = size[members[j]!]!;
      ratings[j] = rating[members[j]!]!;
    }
    const imbalance = splitter.split(sizes, ratings, count);
    const { teamOf } = splitter;
    out.open(spread, imbalance);
    for (let team = 0; team < rule.teams; team++) {
      for (let j = 0; j < count; j++) if (teamOf[j] === team) out.push(byRating[members[j]!]!, team);
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

/**
 * A tick's rooms of varying ticket counts, written as they form into buffers reused from tick
 * to tick (a tick over n tickets has at most n rooms) and copied out once, as RoomBuffer does.
 * Rooms are written as ticket indices; finish() reads the ticket objects in one pass, which
 * keeps many of the loads (cache misses: the pool's order is not the rating order) in flight
 * at once, where a read per room as it forms waits on each (docs/matching.md, "Parties on the bench").
 */
class PartyRoomBuffer {
  private ticketAt = new Int32Array(0);
  private teamOf = new Int32Array(0);
  private spreads = new Float64Array(0);
  private imbalances = new Float64Array(0);
  private starts = new Int32Array(1);
  private rooms = 0;
  private length = 0;

  reset(n: number): void {
    this.rooms = 0;
    this.length = 0;
    if (this.spreads.length >= n) return;
    const capacity = Math.max(n, this.spreads.length * 2);
    this.ticketAt = new Int32Array(capacity);
    this.teamOf = new Int32Array(capacity);
    this.spreads = new Float64Array(capacity);
    this.imbalances = new Float64Array(capacity);
    this.starts = new Int32Array(capacity + 1);
  }

  open(spread: number, imbalance: number): void {
    this.starts[this.rooms] = this.length;
    this.spreads[this.rooms] = spread;
    this.imbalances[this.rooms++] = imbalance;
  }

  /** Adds ticket index `ticket` to the room opened last. */
  push(ticket: number, team: number): void {
    this.ticketAt[this.length] = ticket;
    this.teamOf[this.length++] = team;
  }

  /** The tick's rooms, their tickets read from `from` by index. */
  finish(from: readonly Ticket[], roomSize: number, teams: number): FormedRooms {
    this.starts[this.rooms] = this.length;
    const { ticketAt, length } = this;
    const tickets = new Array<Ticket>(length);
    for (let j = 0; j < length; j++) tickets[j] = from[ticketAt[j]!]!;
    const many = teams > 1;
    return new FormedRooms(
      roomSize,
      tickets,
      this.spreads.slice(0, this.rooms),
      many ? this.teamOf.slice(0, this.length) : null,
      many ? this.imbalances.slice(0, this.rooms) : null,
      this.starts.slice(0, this.rooms + 1),
    );
  }
}
