/**
 * Forming rooms at a tick: the long-waiting first, then everyone else in rating order, then
 * what is left wherever that strands nobody.
 *
 * The rule (contract) fixes which rooms are allowed: spread ≤ the window of every member, a
 * window growing with wait. Within it, each player wants a room as soon as one is allowed and,
 * among those, the closest ratings. A tick:
 *   1. Orders the pool by rating (ties: longer wait first, as the baseline) and by wait
 *      (radix sorts on typed keys the pool keeps per slot, O(n); a burst sorts on one word).
 *   2. Priority: tickets that have waited `priorityAfter` of maxWaitSeconds, oldest first,
 *      each take the closest allowed room around them (RoomSearch), skipping players whose
 *      window is too small. One that has no room yet, and has waited `holdAfter`, holds back
 *      the players of its most promising room, if their windows will cover it within
 *      `holdHorizonMs`, so the bulk pass cannot take them and the room forms as soon as it fits.
 *   3. Bulk: up the rating scale, every run of roomSize consecutive free players that the
 *      rule allows, in one pass over a linked list (after a room, back up k-1 players: its
 *      neighbours may now make a run): the baseline's rooms in O(n) instead of O(n²). Where
 *      runs overlap and several are allowed, the baseline takes the lowest; this takes a higher
 *      one when the player it leaves out has its next room `overlapGainMs` sooner (Prospect).
 *   4. Skip: what is left, oldest first, takes its closest allowed room even across players
 *      whose window is still too small, but only if each player passed over keeps a room
 *      within `skipSlackMs` of its own window's growth once the room is gone.
 *   5. Expires what is left and has waited maxWaitSeconds.
 * Cost O(n) per tick past the keys (every walk is bounded). Nothing is allocated per waiting
 * ticket, nor per room with one team: rooms go into buffers reused from tick to tick and are
 * copied out once into a few flat arrays (core/formed-rooms.ts).
 *
 * Why this shape. Consecutive runs keep the median down: a room that skips a fresh player
 * strands it far from everyone left, while a second or two of window growth would have put it
 * in the same room (skipping everywhere lengthens the median wait on sparse pools). So a room
 * may skip only a player it does not strand, and of two allowed runs the one that strands less
 * is taken: both lower the median and p95 in crowds. What runs cannot do is finish the rating
 * extremes: their neighbours are matched toward the middle the moment they can be. Serving the
 * long-waiting first, letting them skip, and holding their players back is what cuts the tail.
 * Its price falls on sparse pools, and is less than what the two other changes gain there as
 * long as only the longest-waiting hold (a held player waits): sparse medians and p95 end no
 * worse than the baseline's. docs/matching.md ("Why this shape", "What the bench shows") has
 * the figures and every variant measured.
 *
 * Wait versus spread. Every room forms the first tick the rule allows it: holding a player
 * back for a closer room later trades a certain wait for a possible gain the window already
 * priced. The knobs move the trade-off: an earlier priority or a longer hold shortens the tail
 * further but widens rooms (spread) and lengthens the median, by holding more players longer.
 */
import { RoomBuffer } from './formed-rooms.js';
import { balanceTeams, teamSearch, type TeamSearch } from './teams.js';
import { roomSize, windowAt } from './rule.js';
import { Prospect } from './prospect.js';
import { RoomSearch } from './room-search.js';
import { ticketSize } from './party.js';
import { PartyRoomFormer } from './party-rooms.js';
import { ticketIdHash, TicketOrderer } from './ticket-order.js';
import { DEFAULT_POLICY, KEPT, MATCHED, EXPIRED, type FormingPolicy, type TickOutcome } from './forming-policy.js';
import type { FormedRoom, ModeRule, Ticket } from './types.js';

export { DEFAULT_POLICY, EXPIRED, KEPT, MATCHED, type FormingPolicy, type TickOutcome } from './forming-policy.js';

/** Forms rooms over arrays of tickets, reusing its buffers from tick to tick. */
export class RoomFormer {
  private readonly rule: ModeRule;
  private readonly policy: FormingPolicy;
  private readonly k: number;
  private readonly search: RoomSearch;
  private readonly prospect: Prospect;
  private readonly orderer = new TicketOrderer();
  /** Scratch for the consecutive run being checked. */
  private readonly runMembers: Int32Array;
  /** Scratch: the players of overlapping allowed runs, in rating order (at most 2k-1). */
  private readonly overlap: Int32Array;
  // Per rating position. prev / next link the positions still free (-1 and n end the list);
  // matched and held players are unlinked, so every search skips them for free. `rating` is
  // the orderer's ratingByRank, set at each run.
  private rating = new Float64Array(0);
  private window = new Float64Array(0);
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  private head = 0;
  private positionOf = new Int32Array(0);
  private fate = new Uint8Array(0);
  private held = new Uint8Array(0);
  /** Marks the members of a room being weighed, for Prospect; all clear between uses. */
  private leaving = new Uint8Array(0);
  /** The tick's rooms, copied out once at the end: no object per room (core/formed-rooms.ts). */
  private readonly formed: RoomBuffer;
  /** The team split's search (balanceTeams'), and its team sums. */
  private readonly teams: TeamSearch;
  private readonly teamSums: Float64Array;

  constructor(rule: ModeRule, policy: FormingPolicy = DEFAULT_POLICY) {
    this.rule = rule;
    this.policy = policy;
    this.k = roomSize(rule);
    this.search = new RoomSearch(this.k);
    this.prospect = new Prospect(this.k, rule);
    this.runMembers = new Int32Array(this.k);
    this.overlap = new Int32Array(2 * this.k - 1);
    this.formed = new RoomBuffer(this.k, rule.teams);
    this.teams = teamSearch(rule.teams, rule.teamSize);
    this.teamSums = new Float64Array(rule.teams);
  }

  /**
   * `ratingOf[i]`, `joinedAtOf[i]` and `hashes[i]` must be tickets[i]'s rating, joinedAt and
   * ticketIdHash(ticketId): the pool keeps them in typed arrays, so the tick reads no ticket
   * object except to break a full hash tie and to build rooms.
   */
  run(tickets: readonly Ticket[], ratingOf: Float64Array, joinedAtOf: Float64Array, hashes: Uint32Array, n: number, now: number): TickOutcome {
    this.reserve(n);
    this.orderer.order(tickets, ratingOf, joinedAtOf, hashes, n);
    const { byWait, byRating, ratingByRank: rating, oneArrival } = this.orderer;
    this.rating = rating;
    const { rule, search, window, prev, next, positionOf, fate, held } = this;
    // A burst has one window; otherwise each is gathered through byRating.
    if (oneArrival) window.fill(windowAt(rule, now - joinedAtOf[0]!), 0, n);
    else for (let p = 0; p < n; p++) window[p] = windowAt(rule, now - joinedAtOf[byRating[p]!]!);
    for (let p = 0; p < n; p++) {
      prev[p] = p - 1;
      next[p] = p + 1;
      positionOf[byRating[p]!] = p;
    }
    this.head = 0;
    fate.fill(KEPT, 0, n);
    held.fill(0, 0, n);
    this.formed.reset(n);

    // Priority: the long-waiting, oldest first, each in its closest room or holding one.
    const priorityWaitMs = this.policy.priorityAfter * rule.maxWaitSeconds * 1000;
    const holdWaitMs = this.policy.holdAfter * rule.maxWaitSeconds * 1000;
    for (let q = 0; q < n; q++) {
      const anchor = byWait[q]!;
      if (now - joinedAtOf[anchor]! < priorityWaitMs) break; // the rest waited less
      const p = positionOf[anchor]!;
      if (fate[anchor] !== KEPT || held[p]) continue;
      if (search.find(p, rating, window, prev, next, n)) this.form(search.members, tickets, n);
      else if (now - joinedAtOf[anchor]! >= holdWaitMs) this.hold(p, n);
    }
    // Bulk: up the rating scale, every run of k consecutive free players the rule allows.
    for (let p = this.head; p < n;) {
      if (!this.runFrom(p, n)) {
        p = next[p]!;
        continue;
      }
      p = this.kindestOverlap(p, n);
      // Removing the run joins its neighbours: a new run may start up to k-1 players below.
      let back = prev[p]!;
      for (let j = 1; j < this.k - 1 && back >= 0; j++) back = prev[back]!;
      this.form(this.runMembers, tickets, n);
      p = back >= 0 ? back : this.head;
    }
    // Skip: what is left, oldest first, in its closest room where that strands nobody.
    if (this.policy.skipSlackMs >= 0) {
      for (let q = 0; q < n; q++) {
        const anchor = byWait[q]!;
        const p = positionOf[anchor]!;
        if (fate[anchor] !== KEPT || held[p]) continue;
        if (search.find(p, rating, window, prev, next, n) && this.strandsNobody(search.members, n)) this.form(search.members, tickets, n);
      }
    }

    const expired: Ticket[] = [];
    const maxWaitMs = rule.maxWaitSeconds * 1000;
    for (let q = 0; q < n; q++) {
      const i = byWait[q]!;
      if (now - joinedAtOf[i]! < maxWaitMs) break; // the rest waited less
      if (fate[i] !== KEPT) continue;
      fate[i] = EXPIRED;
      expired.push(tickets[i]!);
    }
    return { rooms: this.formed.finish(), expired, fate };
  }

  /** Whether the k free players from position p form an allowed room; into runMembers. */
  private runFrom(p: number, n: number): boolean {
    const { runMembers, rating, window, next } = this;
    for (let j = 0, y = p; j < this.k; j++, y = next[y]!) {
      if (y >= n) return false;
      runMembers[j] = y;
    }
    const spread = rating[runMembers[this.k - 1]!]! - rating[p]!;
    for (let j = 0; j < this.k; j++) if (window[runMembers[j]!]! < spread) return false;
    return true;
  }

  /**
   * The run to form when the one from p is allowed and runs starting higher up that overlap
   * it are allowed too: the lowest (the baseline's choice), unless a higher one leaves out a
   * player whose next room is at least overlapGainMs nearer than the one the lowest leaves
   * out. Returns its start, with its members in runMembers.
   */
  private kindestOverlap(p: number, n: number): number {
    const { k, next, overlap } = this;
    if (this.policy.overlapGainMs === Infinity || this.leftOutReady(p, n)) return p;
    let runs = 1;
    for (let q = next[p]!; runs < k && q < n && this.runFrom(q, n); q = next[q]!) runs++;
    const span = k + runs - 1;
    for (let j = 0, x = p; j < span; j++, x = next[x]!) overlap[j] = x;
    let best = 0;
    let bestWait = runs > 1 ? this.leftOutWait(0, span, n) : 0;
    // Waits are ≥ 0: once the best leaves out less than overlapGainMs, nothing can beat it by that.
    for (let j = 1; j < runs && bestWait >= this.policy.overlapGainMs; j++) {
      const wait = this.leftOutWait(j, span, n);
      if (wait + this.policy.overlapGainMs < bestWait) {
        best = j;
        bestWait = wait;
      }
    }
    this.runFrom(overlap[best]!, n); // the checks above overwrote runMembers
    return overlap[best]!;
  }

  /**
   * Whether every player the run from p could leave out (the k-1 after it) already has a room
   * within its own window among the players above it, which the run does not touch: then none
   * has wait to lose, and the lowest run stands. The usual case in a crowd, and O(k²) hops.
   */
  private leftOutReady(p: number, n: number): boolean {
    const { k, next, rating, window } = this;
    let x = p;
    for (let j = 0; j < k && x < n; j++) x = next[x]!;
    for (let c = 0; c < k - 1 && x < n; c++, x = next[x]!) {
      let last = x;
      for (let j = 1; j < k && last < n; j++) last = next[last]!;
      if (last >= n || rating[last]! - rating[x]! > window[x]!) return false;
    }
    return true;
  }

  /** The longest extra wait among the overlap's players that the run starting at overlap[j] leaves out. */
  private leftOutWait(j: number, span: number, n: number): number {
    const { k, overlap, leaving, rating, window, prev, next } = this;
    for (let m = j; m < j + k; m++) leaving[overlap[m]!] = 1;
    let worst = 0;
    for (let m = 0; m < span; m++) {
      if (m < j || m >= j + k) worst = Math.max(worst, this.prospect.extraWaitMs(overlap[m]!, rating, window, prev, next, n, leaving));
    }
    for (let m = j; m < j + k; m++) leaving[overlap[m]!] = 0;
    return worst;
  }

  /** Whether every free player that the room of `members` passes over still has a room within skipSlackMs once it is gone. */
  private strandsNobody(members: Int32Array, n: number): boolean {
    const { k, leaving, rating, window, prev, next } = this;
    for (let j = 0; j < k; j++) leaving[members[j]!] = 1;
    let fine = true;
    for (let x = next[members[0]!]!; fine && x < members[k - 1]!; x = next[x]!) {
      if (!leaving[x]) fine = this.prospect.extraWaitMs(x, rating, window, prev, next, n, leaving) <= this.policy.skipSlackMs;
    }
    for (let j = 0; j < k; j++) leaving[members[j]!] = 0;
    return fine;
  }

  /**
   * Holds back the players of the most promising room around p if the windows will cover it
   * within the horizon; a room that can never fit (beyond the window's max, or windows that
   * do not grow) holds no one.
   */
  private hold(p: number, n: number): void {
    const { search, rating, window, rule } = this;
    const m = search.closest(p, rating, window, this.prev, this.next, n);
    if (m < this.k - 1) return;
    let low = rating[p]!;
    let high = low;
    for (let j = 0; j < m; j++) {
      low = Math.min(low, rating[search.members[j]!]!);
      high = Math.max(high, rating[search.members[j]!]!);
    }
    const spread = high - low;
    let shortfall = spread - window[p]!;
    for (let j = 0; j < m; j++) shortfall = Math.max(shortfall, spread - window[search.members[j]!]!);
    if (spread > rule.window.max || shortfall > (rule.window.perSecond * this.policy.holdHorizonMs) / 1000) return;
    for (let j = 0; j < m; j++) {
      this.held[search.members[j]!] = 1;
      this.unlink(search.members[j]!, n);
    }
  }

  /** Writes the room of `members` (rating positions, ascending) and takes them out. */
  private form(members: Int32Array, tickets: readonly Ticket[], n: number): void {
    const { k, rule, rating, fate, formed } = this;
    const byRating = this.orderer.byRating;
    const spread = rating[members[k - 1]!]! - rating[members[0]!]!;
    for (let m = 0; m < k; m++) {
      fate[byRating[members[m]!]!] = MATCHED;
      this.unlink(members[m]!, n);
    }
    if (rule.teams === 1) {
      // The room lists its members by rating, descending.
      const at = formed.open(spread, 0);
      for (let j = 0; j < k; j++) formed.setTicket(at + j, tickets[byRating[members[k - 1 - j]!]!]!, 0);
      return;
    }
    const search = this.teams;
    if (!search.exact) {
      const ratingsDown = new Array<number>(k);
      for (let j = 0; j < k; j++) ratingsDown[j] = rating[members[k - 1 - j]!]!;
      const { order, teamOf, imbalance } = splitTeams(ratingsDown, rule);
      const at = formed.open(spread, imbalance);
      for (let j = 0; j < k; j++) formed.setTicket(at + j, tickets[byRating[members[k - 1 - order[j]!]!]!]!, teamOf[order[j]!]!);
      return;
    }
    // balanceTeams' exact split without its arrays: the ratings are already strongest first (its
    // order), so its search runs on them as they are; the same split, imbalance and room order.
    for (let j = 0; j < k; j++) {
      search.size[j] = 1;
      search.rating[j] = rating[members[k - 1 - j]!]!;
    }
    search.run(k);
    const teamOf = search.best;
    const sums = this.teamSums;
    sums.fill(0);
    for (let j = 0; j < k; j++) sums[teamOf[j]!]! += search.rating[j]!;
    let high = -Infinity;
    let low = Infinity;
    for (let t = 0; t < rule.teams; t++) {
      high = Math.max(high, sums[t]!);
      low = Math.min(low, sums[t]!);
    }
    const at = formed.open(spread, high - low);
    let w = at;
    for (let t = 0; t < rule.teams; t++) {
      for (let j = 0; j < k; j++) if (teamOf[j] === t) formed.setTicket(w++, tickets[byRating[members[k - 1 - j]!]!]!, t);
    }
  }

  private unlink(p: number, n: number): void {
    const { prev, next } = this;
    if (p === this.head) this.head = next[p]!;
    if (prev[p]! >= 0) next[prev[p]!] = next[p]!;
    if (next[p]! < n) prev[next[p]!] = prev[p]!;
  }

  private reserve(n: number): void {
    if (this.window.length >= n) return;
    const capacity = Math.max(n, this.window.length * 2);
    this.window = new Float64Array(capacity);
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    this.positionOf = new Int32Array(capacity);
    this.fate = new Uint8Array(capacity);
    this.held = new Uint8Array(capacity);
    this.leaving = new Uint8Array(capacity);
  }
}

/**
 * Teams for a room whose ratings are `ratingsDown` (descending): the room's order (by team,
 * then rating descending) as indices into `ratingsDown`, and the team of each index.
 */
function splitTeams(ratingsDown: number[], rule: ModeRule): { order: number[]; teamOf: number[]; imbalance: number } {
  const { teamOf, imbalance } = balanceTeams(ratingsDown, rule.teams, rule.teamSize);
  const order = ratingsDown.map((_, i) => i).sort((a, b) => teamOf[a]! - teamOf[b]! || a - b);
  return { order, teamOf, imbalance };
}

/** `members` descending by rating; returns them by team, then rating descending. */
export function buildTeamRoom(members: Ticket[], spread: number, rule: ModeRule): FormedRoom {
  const { order, teamOf, imbalance } = splitTeams(
    members.map((t) => t.rating),
    rule,
  );
  return { tickets: order.map((i) => members[i]!), teams: order.map((i) => teamOf[i]!), spread, imbalance };
}

/**
 * The tick as a pure function: which rooms form among `tickets` at `now`, which tickets
 * expire, which stay. Same tickets in any order give the same result.
 */
export function formRooms(
  tickets: readonly Ticket[],
  rule: ModeRule,
  now: number,
  policy: FormingPolicy = DEFAULT_POLICY,
): { rooms: FormedRoom[]; expired: Ticket[]; kept: Ticket[] } {
  const hashes = Uint32Array.from(tickets, (t) => ticketIdHash(t.ticketId));
  const ratings = Float64Array.from(tickets, (t) => t.rating);
  const joinedAts = Float64Array.from(tickets, (t) => t.joinedAt);
  // As the pool does: the solo path unless a ticket holds more than one player.
  const { rooms, expired, fate } = tickets.some((t) => ticketSize(t) > 1)
    ? new PartyRoomFormer(rule, policy).run(tickets, ratings, joinedAts, hashes, Uint8Array.from(tickets, ticketSize), tickets.length, now)
    : new RoomFormer(rule, policy).run(tickets, ratings, joinedAts, hashes, tickets.length, now);
  return { rooms: [...rooms], expired, kept: tickets.filter((_, i) => fate[i] === KEPT) };
}
